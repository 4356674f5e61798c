import { Inject, Injectable } from '@nestjs/common';
import {
  CertificateAssignedV1,
  CertificateUnassignedV1,
  createEvent,
  normalizeHost,
  parseIsoDuration,
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
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../config';
import { assessUsageFitness, noUsageFitsMessage, type FitnessResult } from '../usage-fitness/usage-fitness';
import { ASSIGNMENT, BINDING, BINDING_HISTORY } from './persistence/assignment.tables';
import { bindingKey, type HostBindings } from './persistence/assignment.reads';
import { CERTIFICATE_WATCH, type WatchRecord } from './persistence/certificate-watch.table';
import { thumbprintRefusal } from './thumbprint.check';
import { takeOver } from './watch/binding-takeover';
import { certificateValidity } from './watch/certificate-validity';
import { renewAtOf } from './watch/expiry-watch.decider';

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
  /** The leaf's validity, for the expiry watch; null when the request fails. */
  validity: { notBefore: Date; notAfter: Date } | null;
}

/**
 * What binding a request came to.
 * - `assigned`: the usages in `usages` were bound; CertificateAssignedV1 goes out, then one
 *   CertificateUnassignedV1 per certificate it took bindings over from.
 * - `failed`: nothing bound; RequestFailedV1 (stage assignment) goes out. Final.
 * Either way the assignment row is written: it is the idempotency record (a later request for the
 * same request id is a duplicate).
 */
export type Binding =
  | { kind: 'assigned'; usages: Usage[]; notBound: UsageRefusal[]; writes: Write[]; events: CloudEvent[] }
  | { kind: 'failed'; code: string; message: string; writes: Write[]; events: CloudEvent[] };

/**
 * Binds a chain-complete certificate to the host usages it fits. Decides only: the rows and the
 * event it returns are written by the fact handler's transaction, so they commit together.
 */
@Injectable()
export class AssignCertificateService {
  /** The service's renewBefore default in seconds (CERTFLOW_RENEW_BEFORE); null: a third of the lifetime. */
  private readonly renewBefore: number | null;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ASSIGNMENT_CONFIG) config: Pick<AssignmentConfig, 'CERTFLOW_RENEW_BEFORE'>,
  ) {
    this.renewBefore = config.CERTFLOW_RENEW_BEFORE ? parseIsoDuration(config.CERTFLOW_RENEW_BEFORE) : null;
  }

  /** Usage fitness, the thumbprint check and the validity: CPU only, so it can run before the transaction. */
  assess(req: AssignmentRequested): Assessment {
    const host = normalizeHost(req.host);
    const fitness = this.fitness(req, host);
    if ('code' in fitness) return { host, bound: [], notBound: [], failure: fitness, validity: null };
    if (fitness.fits.length === 0) return { host, bound: [], notBound: fitness.notBound, failure: { code: 'NoUsageFits', message: noUsageFitsMessage(host, fitness.notBound) }, validity: null };
    // Fitness read the certificate already, so it is readable here too.
    return { host, bound: fitness.fits, notBound: fitness.notBound, failure: null, validity: certificateValidity(req.certificate) };
  }

  /**
   * The writes and events of binding `req`. `bindings` (read under the host's lock) is what each
   * binding replaces; it is updated, so the next request of the same batch for the same host
   * replaces this one, and the history keeps both in order. The request's watch row is written
   * here too, and the rows of the certificates it took bindings from lose those usages.
   */
  bind(req: AssignmentRequested, a: Assessment, bindings: HostBindings): Binding {
    const at = this.clock.now();
    const meta = { source: EVENT_SOURCE, subject: req.requestId, time: at };
    const writes: Write[] = [insertRow(ASSIGNMENT, { requestId: req.requestId, thumbprint: req.thumbprint, usages: a.bound, notBound: a.notBound, assignedAt: at })];
    if (a.failure || !a.validity) {
      const failure = a.failure ?? { code: 'CertificateUnparsable', message: 'The certificate to assign has no validity period.' };
      const event = createEvent(RequestFailedV1, { requestId: req.requestId, stage: 'assignment', ...failure }, meta);
      return { kind: 'failed', ...failure, writes, events: [event] };
    }
    const previous = new Map<string, { thumbprint: string; requestId: string } | null>();
    for (const usage of a.bound) {
      const key = bindingKey(a.host, usage);
      const replaced = bindings.bound.get(key) ?? null;
      previous.set(usage, replaced);
      bindings.bound.set(key, { thumbprint: req.thumbprint, requestId: req.requestId });
      const row = { host: a.host, usage, thumbprint: req.thumbprint, requestId: req.requestId, assignedAt: at };
      writes.push(upsertRow(BINDING, row), insertRow(BINDING_HISTORY, { ...row, replacedThumbprint: replaced?.thumbprint ?? null }));
    }
    const watch = this.watchRow(req, a, at);
    writes.push(insertRow(CERTIFICATE_WATCH, watch));
    bindings.newWatches.set(req.requestId, watch);

    const takeover = takeOver({ requestId: req.requestId, thumbprint: req.thumbprint, host: a.host }, previous, bindings, at);
    writes.push(...takeover.writes);
    const assigned = createEvent(
      CertificateAssignedV1,
      {
        requestId: req.requestId,
        host: a.host,
        usages: a.bound,
        thumbprint: req.thumbprint,
        certificate: req.certificate,
        chain: req.chain,
        notBound: a.notBound,
        ...(req.actor ? { actor: req.actor } : {}),
        ...(takeover.replaced.length > 0 ? { replaced: takeover.replaced } : {}),
        ...(req.renewalOf ? { renewalOf: req.renewalOf } : {}),
        notAfter: watch.notAfter.toISOString(),
        renewalDueAt: watch.renewAt.toISOString(),
      },
      meta,
    );
    // The unassigned events follow the assigned one: a reader sees the new binding before the old one goes.
    const unassigned = takeover.unassigned.map((data) => createEvent(CertificateUnassignedV1, data, { ...meta, subject: data.requestId }));
    return { kind: 'assigned', usages: a.bound, notBound: a.notBound, writes, events: [assigned, ...unassigned] };
  }

  private watchRow(req: AssignmentRequested, a: Assessment, at: Date): WatchRecord {
    const { notBefore, notAfter } = a.validity!;
    const renewBefore = req.renewBefore ? parseIsoDuration(req.renewBefore) : this.renewBefore;
    return {
      requestId: req.requestId,
      thumbprint: req.thumbprint,
      host: a.host,
      usages: [...a.bound],
      issuer: req.issuer ?? null,
      rotationPolicy: req.rotationPolicy ?? 'Always',
      renewalOf: req.renewalOf ?? null,
      notBefore,
      notAfter,
      renewAt: renewAtOf(notBefore, notAfter, renewBefore),
      renewalDueSentAt: null,
      lastWarnedDays: null,
      expiredSentAt: null,
      // Due at once: the next round decides a certificate bound already inside a window (the latest window only).
      nextDueAt: at,
      releasedAt: null,
      createdAt: at,
    };
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
