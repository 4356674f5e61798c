import { Inject, Injectable } from '@nestjs/common';
import {
  CertificateAssignedV1,
  createEvent,
  RequestFailedV1,
  type EventData,
  type AssignmentRequestedV1,
  type Usage,
  type UsageRefusal,
} from '@certflow/contracts';
import { enqueue } from '@certflow/messaging';
import { certificateNames, extendedKeyUsageNames, isPkiInputError, parseCertificate, type Clock } from '@certflow/pki';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '@certflow/runtime';
import { normalizeHost } from '../usage-fitness/host-name.match';
import { assessUsageFitness, noUsageFitsMessage, type FitnessResult } from '../usage-fitness/usage-fitness';

export const EVENT_SOURCE = 'certflow/assignment';

export type AssignmentRequest = EventData<typeof AssignmentRequestedV1>;

/**
 * What an assignment request came to.
 * - `notChainComplete`: no chain.complete seen for this certificate yet; nothing changed (retry later).
 * - `duplicate`: the request was already assigned (or refused); nothing changed.
 * - `assigned`: some usages were bound; CertificateAssignedV1 enqueued.
 * - `failed`: no usage fits (or the certificate cannot be read); RequestFailedV1 enqueued. Final.
 */
export type AssignmentOutcome =
  | { kind: 'notChainComplete' }
  | { kind: 'duplicate' }
  | { kind: 'assigned'; usages: Usage[]; notBound: UsageRefusal[] }
  | { kind: 'failed'; code: string; message: string };

/**
 * Binds a chain-complete certificate to the host's usages it fits. Runs in the caller's transaction
 * (the inbox's), so the bindings, the assignment record and the outgoing event commit together.
 */
@Injectable()
export class AssignCertificateService {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async assign(m: EntityManager, req: AssignmentRequest): Promise<AssignmentOutcome> {
    const complete: unknown[] = await m.query(`SELECT 1 FROM chain_complete WHERE request_id = $1 AND thumbprint = $2`, [req.requestId, req.thumbprint]);
    if (complete.length === 0) return { kind: 'notChainComplete' };

    const host = normalizeHost(req.host);
    const at = this.clock.now();
    const fitness = this.assess(req, host);
    const bound = 'fits' in fitness ? fitness.fits : [];
    const notBound = 'fits' in fitness ? fitness.notBound : [];
    // The assignment row is the idempotency record; ON CONFLICT also makes a concurrent duplicate wait and back off.
    const claimed: unknown[] = await m.query(
      `INSERT INTO assignment (request_id, thumbprint, usages, not_bound, assigned_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
      [req.requestId, req.thumbprint, JSON.stringify(bound), JSON.stringify(notBound), at],
    );
    if (claimed.length === 0) return { kind: 'duplicate' };

    if ('code' in fitness) {
      await this.enqueueFailure(m, req.requestId, fitness.code, fitness.message);
      return { kind: 'failed', ...fitness };
    }
    if (bound.length === 0) {
      const message = noUsageFitsMessage(host, notBound);
      await this.enqueueFailure(m, req.requestId, 'NoUsageFits', message);
      return { kind: 'failed', code: 'NoUsageFits', message };
    }
    for (const usage of bound) await this.bind(m, host, usage, req, at);
    await enqueue(m, createEvent(
      CertificateAssignedV1,
      { requestId: req.requestId, host, usages: bound, thumbprint: req.thumbprint, certificate: req.certificate, chain: req.chain, notBound },
      { source: EVENT_SOURCE, subject: req.requestId, time: at },
    ));
    return { kind: 'assigned', usages: bound, notBound };
  }

  private assess(req: AssignmentRequest, host: string): FitnessResult | { code: string; message: string } {
    try {
      const cert = parseCertificate(req.certificate);
      return assessUsageFitness({ host, usages: req.usages, extendedKeyUsage: extendedKeyUsageNames(cert), names: certificateNames(cert) });
    } catch (err) {
      if (!isPkiInputError(err)) throw err;
      return { code: 'CertificateUnparsable', message: `The certificate to assign cannot be read: ${err.message}` };
    }
  }

  /** Points the host's usage at this certificate, keeping what it replaced in the history. */
  private async bind(m: EntityManager, host: string, usage: Usage, req: AssignmentRequest, at: Date): Promise<void> {
    const previous: { thumbprint: string }[] = await m.query(`SELECT thumbprint FROM binding WHERE host = $1 AND usage = $2 FOR UPDATE`, [host, usage]);
    await m.query(
      `INSERT INTO binding (host, usage, thumbprint, request_id, assigned_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (host, usage) DO UPDATE SET thumbprint = EXCLUDED.thumbprint, request_id = EXCLUDED.request_id, assigned_at = EXCLUDED.assigned_at`,
      [host, usage, req.thumbprint, req.requestId, at],
    );
    await m.query(
      `INSERT INTO binding_history (host, usage, thumbprint, request_id, assigned_at, replaced_thumbprint) VALUES ($1, $2, $3, $4, $5, $6)`,
      [host, usage, req.thumbprint, req.requestId, at, previous[0]?.thumbprint ?? null],
    );
  }

  private async enqueueFailure(m: EntityManager, requestId: string, code: string, message: string): Promise<void> {
    await enqueue(m, createEvent(RequestFailedV1, { requestId, stage: 'assignment', code, message }, { source: EVENT_SOURCE, subject: requestId, time: this.clock.now() }));
  }
}
