import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { CloudEvent } from '@certflow/contracts';
import { DATA_SOURCE, isUniqueViolation } from '@certflow/persistence';
import { OutboxRelay } from '@certflow/messaging';
import { checkCsr, parseCertificate, spkiFingerprint, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../http/api-error';
import { hostAllowed } from '../../access/auth/host-pattern';
import { isHostScoped } from '../../access/auth/permissions';
import { hostNotAllowed, type Caller } from '../../access/auth/token.guard';
import { renewalsTotal } from '../../operations/metrics/renewal.metrics';
import type { RequestSnapshot } from '../domain/certificate-request.state';
import { RequestCommandService } from '../commands/request-command.service';
import { CertificateRequestRepository, queryThrough } from '../persistence/certificate-request.repository';
import { openRenewals, renewalOf } from './renewal.submission';

/** What the renew route did: a new renewal (201), or the one already open (200). */
export type RenewOutcome = { created: true; request: RequestSnapshot } | { created: false; openId: string };

/**
 * POST /api/v1/requests/{id}/renew, body `{csr?}`: a renewal of an ASSIGNED request, as a new
 * request with `renewalOf`. Asked again while one is open, the open one; after a FAILED one, a new
 * one. Without a CSR only for 'Never' (the stored CSR); for 'Always' the CSR must carry a new key.
 */
@Injectable()
export class RenewRequestHandler {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly commands: RequestCommandService,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(id: string, body: unknown, caller?: Caller): Promise<RenewOutcome> {
    const csr = parseRenewBody(body);
    try {
      const outcome = await this.ds.transaction(async (m) => {
        const locked = await CertificateRequestRepository.lockOne(m, id);
        if (!locked) throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id}`);
        return this.startIn(m, locked.request, csr, caller);
      });
      if (!outcome.created) return outcome;
      this.relay.publishCommitted(outcome.published);
      renewalsTotal.inc({ outcome: 'started' });
      return { created: true, request: outcome.request };
    } catch (e) {
      // Another instance's renewal of the same request won (the partial unique index): answer with it.
      if (isUniqueViolation(e)) {
        const open = (await openRenewals(queryThrough(this.ds.manager), [id])).get(id);
        if (open) return { created: false, openId: open };
      }
      throw e;
    }
  }

  /**
   * The renewal of `old` (locked by the caller), in the caller's transaction: the open one, or a new
   * one. The revoke route's `renew: true` starts it the same way.
   */
  async startIn(m: EntityManager, old: RequestSnapshot, csr: string | undefined, caller?: Caller): Promise<StartedRenewal> {
    if (old.state !== 'ASSIGNED') {
      throw new ApiError(409, 'NOT_RENEWABLE', `request ${old.id} is ${old.state}; only an ASSIGNED request can be renewed`, { state: old.state });
    }
    const open = (await openRenewals(queryThrough(m), [old.id])).get(old.id);
    if (open) return { created: false, openId: open };
    if (csr === undefined && old.rotationPolicy !== 'Never') {
      throw new ApiError(400, 'CSR_REQUIRED', 'this request\'s rotationPolicy is Always: make a new key on the host and send its CSR as `csr` (`certflow renew` does)');
    }
    if (csr !== undefined) await checkRenewalCsr(csr, old, caller);
    const { request, published } = await this.commands.submit(m, renewalOf(old, { id: randomUUID(), at: this.clock.now(), csr }), { idempotencyKey: null, bodyHash: null });
    return { created: true, request, published };
  }
}

/** A renewal started inside the caller's transaction: its events are to be published once that commits. */
export type StartedRenewal = { created: true; request: RequestSnapshot; published: CloudEvent[] } | { created: false; openId: string };

function parseRenewBody(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'INVALID_BODY', 'send {} or {"csr": "-----BEGIN CERTIFICATE REQUEST-----..."}');
  const unknown = Object.keys(body).filter((k) => k !== 'csr');
  if (unknown.length) throw new ApiError(400, 'UNKNOWN_FIELD', `unknown field(s) ${unknown.join(', ')}; allowed: csr`);
  const csr = (body as { csr?: unknown }).csr;
  if (csr === undefined) return undefined;
  if (typeof csr !== 'string' || csr.trim() === '') throw new ApiError(400, 'CSR_MISSING', '`csr` must be a PEM certificate request made on the host');
  return csr;
}

/** The CSR is checked as a submission's (same host), each of its names must be the caller's, and 'Always' needs a new key. */
async function checkRenewalCsr(csr: string, old: RequestSnapshot & { certificate?: string }, caller?: Caller): Promise<void> {
  const checked = await checkCsr(csr, old.host);
  if (caller && isHostScoped(caller.role)) {
    const outside = [...checked.dnsNames, ...checked.ipAddresses].filter((n) => !hostAllowed(caller.hosts ?? [], n));
    if (outside.length) throw hostNotAllowed(caller, outside);
  }
  if (old.rotationPolicy === 'Always' && old.certificate && spkiFingerprint(parseCertificate(old.certificate).publicKey.rawData) === checked.spkiFingerprint) {
    throw new ApiError(400, 'KEY_NOT_ROTATED', "the CSR has the current certificate's key; rotationPolicy Always needs a new key made on the host (or send no csr with rotationPolicy Never)");
  }
}
