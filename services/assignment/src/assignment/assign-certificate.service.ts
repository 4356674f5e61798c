import { Inject, Injectable } from '@nestjs/common';
import {
  CertificateAssignedV1,
  createEvent,
  normalizeHost,
  RequestFailedV1,
  type AssignmentRequestedV1,
  type CloudEvent,
  type EventData,
  type Usage,
  type UsageRefusal,
} from '@certflow/contracts';
import { insertRow, upsertRow, type Write } from '@certflow/messaging';
import { certificateUsageFacts, isPkiInputError, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { assessUsageFitness, noUsageFitsMessage, type FitnessResult } from '../usage-fitness/usage-fitness';
import { ASSIGNMENT, BINDING, BINDING_HISTORY } from './persistence/assignment.tables';
import { bindingKey } from './persistence/assignment.reads';
import { thumbprintRefusal } from './thumbprint.check';

export const EVENT_SOURCE = 'certflow/assignment';

export type AssignmentRequested = EventData<typeof AssignmentRequestedV1>;

/**
 * What a certificate may be bound to, decided from the certificate alone (no database): the usages
 * it fits and why the others were refused, or why the whole request fails (`NoUsageFits`,
 * `CertificateUnparsable`, `ThumbprintMismatch`).
 */
export interface Assessment {
  host: string;
  bound: Usage[];
  notBound: UsageRefusal[];
  failure: { code: string; message: string } | null;
}

/**
 * What binding a request came to.
 * - `assigned`: the usages in `usages` were bound; CertificateAssignedV1 goes out.
 * - `failed`: nothing bound; RequestFailedV1 (stage assignment) goes out. Final.
 * Either way the assignment row is written: it is the idempotency record (a later request for the
 * same request id is a duplicate).
 */
export type Binding =
  | { kind: 'assigned'; usages: Usage[]; notBound: UsageRefusal[]; writes: Write[]; event: CloudEvent }
  | { kind: 'failed'; code: string; message: string; writes: Write[]; event: CloudEvent };

/**
 * Binds a chain-complete certificate to the host usages it fits. Decides only: the rows and the
 * event it returns are written by the fact handler's transaction, so they commit together.
 */
@Injectable()
export class AssignCertificateService {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** Usage fitness and the thumbprint check: CPU only, so it can run before the transaction. */
  assess(req: AssignmentRequested): Assessment {
    const host = normalizeHost(req.host);
    const fitness = this.fitness(req, host);
    if ('code' in fitness) return { host, bound: [], notBound: [], failure: fitness };
    if (fitness.fits.length === 0) return { host, bound: [], notBound: fitness.notBound, failure: { code: 'NoUsageFits', message: noUsageFitsMessage(host, fitness.notBound) } };
    return { host, bound: fitness.fits, notBound: fitness.notBound, failure: null };
  }

  /**
   * The writes and event of binding `req`. `bindings` (`host|usage` → thumbprint, read under the
   * host's lock) is what each binding replaces; it is updated, so the next request of the same batch
   * for the same host replaces this one, and the history keeps both in order.
   */
  bind(req: AssignmentRequested, a: Assessment, bindings: Map<string, string>): Binding {
    const at = this.clock.now();
    const meta = { source: EVENT_SOURCE, subject: req.requestId, time: at };
    const writes: Write[] = [insertRow(ASSIGNMENT, { requestId: req.requestId, thumbprint: req.thumbprint, usages: a.bound, notBound: a.notBound, assignedAt: at })];
    if (a.failure) {
      const event = createEvent(RequestFailedV1, { requestId: req.requestId, stage: 'assignment', ...a.failure }, meta);
      return { kind: 'failed', ...a.failure, writes, event };
    }
    for (const usage of a.bound) {
      const key = bindingKey(a.host, usage);
      const replaced = bindings.get(key) ?? null;
      bindings.set(key, req.thumbprint);
      const row = { host: a.host, usage, thumbprint: req.thumbprint, requestId: req.requestId, assignedAt: at };
      writes.push(upsertRow(BINDING, row), insertRow(BINDING_HISTORY, { ...row, replacedThumbprint: replaced }));
    }
    const event = createEvent(
      CertificateAssignedV1,
      { requestId: req.requestId, host: a.host, usages: a.bound, thumbprint: req.thumbprint, certificate: req.certificate, chain: req.chain, notBound: a.notBound, ...(req.actor ? { actor: req.actor } : {}) },
      meta,
    );
    return { kind: 'assigned', usages: a.bound, notBound: a.notBound, writes, event };
  }

  private fitness(req: AssignmentRequested, host: string): FitnessResult | { code: string; message: string } {
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
