import { AssignmentRequestedV1, CertificateUploadedV1, RequestSubmittedV1, RevocationRequestedV1, createEvent, type CloudEvent } from '@certflow/contracts';
import { certificateOf, type RequestEvent, type RequestSnapshot } from '../domain/certificate-request.state';

const SOURCE = 'certflow/request';

/**
 * The contract events a request's own events publish. Facts that came from other services
 * (issued, chain complete, …) are not published again: they are already in the stream. An accepted
 * upload is published for ca-gateway.
 */
export function outgoingEvents(after: RequestSnapshot, events: RequestEvent[]): CloudEvent[] {
  const out: CloudEvent[] = [];
  for (const e of events) {
    if (e.type === 'Submitted') {
      out.push(
        createEvent(
          RequestSubmittedV1,
          {
            requestId: e.id,
            host: e.host,
            csr: e.csr,
            usages: e.usages,
            autoAssign: e.autoAssign,
            issuer: e.issuer,
            ...(e.renewalOf ? { renewalOf: e.renewalOf } : {}),
            ...(e.renewBefore ? { renewBefore: e.renewBefore } : {}),
            rotationPolicy: e.rotationPolicy ?? 'Always',
          },
          { source: SOURCE, subject: e.id, time: e.at },
        ),
      );
    } else if (e.type === 'AssignmentRequested') {
      const issued = certificateOf(after);
      if (!issued) throw new Error(`request ${after.id} asked for assignment without a certificate (${after.state})`);
      out.push(
        createEvent(
          AssignmentRequestedV1,
          {
            requestId: after.id,
            host: after.host,
            usages: e.usages,
            thumbprint: issued.thumbprint,
            certificate: issued.certificate,
            chain: issued.chain,
            by: e.by,
            actor: e.by === 'auto' ? 'auto' : e.actor,
            // For the expiry watch (assignment service): what it needs to send renewal-due and expiring.
            ...(after.renewalOf ? { renewalOf: after.renewalOf } : {}),
            ...(after.renewBefore ? { renewBefore: after.renewBefore } : {}),
            rotationPolicy: after.rotationPolicy,
            issuer: after.issuer,
          },
          { source: SOURCE, subject: after.id, time: e.at },
        ),
      );
    } else if ((e.type === 'RevocationRequested' && !e.afterRenewal) || e.type === 'RevocationReleased') {
      // For ca-gateway: revoke it at its CA. A revocation held for the renewal goes out with SUPERSEDED.
      out.push(revocationRequested(after, e.at));
    } else if (e.type === 'CertificateUploaded') {
      // For ca-gateway, which brings it into the flow as `certificate.issued`, exactly as a CA's answer.
      out.push(
        createEvent(
          CertificateUploadedV1,
          { requestId: after.id, certificate: e.certificate, chain: e.chain, uploadedBy: e.by },
          { source: SOURCE, subject: after.id, time: e.at },
        ),
      );
    }
  }
  return out;
}

function revocationRequested(after: RequestSnapshot, at: Date): CloudEvent {
  const issued = certificateOf(after);
  const r = after.revocation;
  if (!issued || !r) throw new Error(`request ${after.id} asked to revoke without a certificate or a revocation (${after.state})`);
  return createEvent(
    RevocationRequestedV1,
    {
      requestId: after.id,
      host: after.host,
      thumbprint: issued.thumbprint,
      issuer: after.issuer,
      certificate: issued.certificate,
      reason: r.reason,
      requestedAt: r.requestedAt.toISOString(),
      ...(r.actor ? { actor: r.actor } : {}),
    },
    { source: SOURCE, subject: after.id, time: at },
  );
}
