import { Inject, Injectable } from '@nestjs/common';
import {
  CertificateAssignedV1,
  createEvent,
  RequestFailedV1,
  type EventData,
  type AssignmentRequestedV1,
  type CloudEvent,
  type Usage,
  type UsageRefusal,
} from '@certflow/contracts';
import { inboxClaimSql, outboxInsertSql, outboxParameter } from '@certflow/messaging';
import { certificateUsageFacts, isPkiInputError, type Clock } from '@certflow/pki';
import type { DataSource } from 'typeorm';
import { CLOCK } from '@certflow/runtime';
import { normalizeHost } from '@certflow/contracts';
import { assessUsageFitness, noUsageFitsMessage, type FitnessResult } from '../usage-fitness/usage-fitness';
import { preparedQuery } from '@certflow/persistence';
import { thumbprintRefusal } from './thumbprint.check';

export const EVENT_SOURCE = 'certflow/assignment';

export type AssignmentRequest = EventData<typeof AssignmentRequestedV1>;

/**
 * What an assignment request came to.
 * - `notChainComplete`: no chain.complete seen for this certificate yet; nothing changed (retry later).
 * - `duplicate`: the request was already assigned (or refused); nothing changed.
 * - `assigned`: some usages were bound; CertificateAssignedV1 enqueued (`published`, committed).
 * - `failed`: no usage fits, the certificate cannot be read, or it is not the one its thumbprint names
 *   (`ThumbprintMismatch`); RequestFailedV1 enqueued, nothing bound. Final.
 */
export type AssignmentOutcome =
  | { kind: 'notChainComplete' }
  | { kind: 'duplicate' }
  | { kind: 'assigned'; usages: Usage[]; notBound: UsageRefusal[]; published: CloudEvent[] }
  | { kind: 'failed'; code: string; message: string; published: CloudEvent[] };

/**
 * Binds a chain-complete certificate to the host's usages it fits. Runs in the caller's transaction
 * (the inbox's), so the bindings, the assignment record and the outgoing event commit together.
 */
@Injectable()
export class AssignCertificateService {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /**
   * Assigns once per inbox `consumer` and event id, in ONE statement: whether the chain is complete,
   * the inbox claim, the assignment row (the idempotency record: a second request for the same
   * request id is a duplicate), the bindings with what they replaced, and the outgoing event. Every
   * write depends on the ones before it, so all commit or none does; one round trip where a
   * transaction took six. Usage fitness is decided first, from the certificate alone.
   */
  async assignOnce(ds: DataSource, consumer: string, eventId: string, req: AssignmentRequest): Promise<AssignmentOutcome | { kind: 'handledBefore' }> {
    const host = normalizeHost(req.host);
    const at = this.clock.now();
    const fitness = this.assess(req, host);
    const bound = 'fits' in fitness ? fitness.fits : [];
    const notBound = 'fits' in fitness ? fitness.notBound : [];
    const failure = 'code' in fitness ? fitness : bound.length === 0 ? { code: 'NoUsageFits', message: noUsageFitsMessage(host, notBound) } : null;
    const meta = { source: EVENT_SOURCE, subject: req.requestId, time: at };
    const event = failure
      ? createEvent(RequestFailedV1, { requestId: req.requestId, stage: 'assignment', ...failure }, meta)
      : createEvent(
          CertificateAssignedV1,
          { requestId: req.requestId, host, usages: bound, thumbprint: req.thumbprint, certificate: req.certificate, chain: req.chain, notBound, ...(req.actor ? { actor: req.actor } : {}) },
          meta,
        );
    const [row] = await preparedQuery<{ complete: boolean; fresh: boolean; claimed: boolean }>(
      ds,
      `WITH complete AS (SELECT 1 FROM chain_complete WHERE request_id = $1 AND thumbprint = $2),
            fresh AS (${inboxClaimSql(7, 8, 'WHERE EXISTS (SELECT 1 FROM complete)')}),
            claimed AS (
              INSERT INTO assignment (request_id, thumbprint, usages, not_bound, assigned_at)
              SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM fresh)
              ON CONFLICT (request_id) DO NOTHING RETURNING request_id),
            wanted AS (SELECT usage, n FROM unnest($9::text[]) WITH ORDINALITY AS u(usage, n) WHERE EXISTS (SELECT 1 FROM claimed)),
            previous AS (SELECT usage, thumbprint FROM binding WHERE host = $6 AND usage = ANY ($9::text[]) AND EXISTS (SELECT 1 FROM claimed) FOR UPDATE),
            bound AS (
              INSERT INTO binding (host, usage, thumbprint, request_id, assigned_at)
              SELECT $6, usage, $2, $1, $5 FROM wanted
              ON CONFLICT (host, usage) DO UPDATE SET thumbprint = EXCLUDED.thumbprint, request_id = EXCLUDED.request_id, assigned_at = EXCLUDED.assigned_at),
            history AS (
              INSERT INTO binding_history (host, usage, thumbprint, request_id, assigned_at, replaced_thumbprint)
              SELECT $6, w.usage, $2, $1, $5, p.thumbprint FROM wanted w LEFT JOIN previous p ON p.usage = w.usage ORDER BY w.n),
            published AS (${outboxInsertSql(10, 'WHERE EXISTS (SELECT 1 FROM claimed)')})
       SELECT EXISTS (SELECT 1 FROM complete) AS complete, EXISTS (SELECT 1 FROM fresh) AS fresh, EXISTS (SELECT 1 FROM claimed) AS claimed`,
      [req.requestId, req.thumbprint, JSON.stringify(bound), JSON.stringify(notBound), at, host, consumer, eventId, failure ? [] : bound, outboxParameter([event])],
    );
    if (!row.complete) return { kind: 'notChainComplete' };
    if (!row.fresh) return { kind: 'handledBefore' };
    if (!row.claimed) return { kind: 'duplicate' };
    return failure ? { kind: 'failed', ...failure, published: [event] } : { kind: 'assigned', usages: bound, notBound, published: [event] };
  }

  private assess(req: AssignmentRequest, host: string): FitnessResult | { code: string; message: string } {
    try {
      const forged = thumbprintRefusal(req.certificate, req.thumbprint);
      if (forged) return forged;
      const { extendedKeyUsage, names } = certificateUsageFacts(req.certificate);
      return assessUsageFitness({ host, usages: req.usages, extendedKeyUsage, names });
    } catch (err) {
      if (!isPkiInputError(err)) throw err;
      return { code: 'CertificateUnparsable', message: `The certificate to assign cannot be read: ${err.message}` };
    }
  }
}
