import { AssignmentRequestedV1, RequestSubmittedV1, createEvent, type CloudEvent } from '@certflow/contracts';
import type { RequestEvent, RequestSnapshot } from '../domain/certificate-request.state';

const SOURCE = 'certflow/request';

/**
 * The contract events a request's own events publish. Facts that came from other services
 * (issued, chain complete, …) are not published again: they are already in the stream.
 */
export function outgoingEvents(after: RequestSnapshot, events: RequestEvent[]): CloudEvent[] {
  const out: CloudEvent[] = [];
  for (const e of events) {
    if (e.type === 'Submitted') {
      out.push(
        createEvent(
          RequestSubmittedV1,
          { requestId: e.id, host: e.host, csr: e.csr, usages: e.usages, autoAssign: e.autoAssign, issuer: e.issuer },
          { source: SOURCE, subject: e.id, time: e.at },
        ),
      );
    } else if (e.type === 'AssignmentRequested') {
      out.push(
        createEvent(
          AssignmentRequestedV1,
          {
            requestId: after.id,
            host: after.host,
            usages: e.usages,
            thumbprint: after.thumbprint!,
            certificate: after.certificate!,
            chain: after.chain ?? [],
            by: e.by,
            actor: e.by === 'auto' ? 'auto' : e.actor,
          },
          { source: SOURCE, subject: after.id, time: e.at },
        ),
      );
    }
  }
  return out;
}
