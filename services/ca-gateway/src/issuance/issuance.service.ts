import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type CloudEvent,
  CertificateIssuedV1,
  createEvent,
  type EventData,
  RequestFailedV1,
  RequestPendingV1,
  type RequestSubmittedV1,
} from '@certflow/contracts';
import { checkCsr, type CheckedCsr, type Clock, isPkiInputError, pemThumbprints } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CaAdapterRegistry } from './ca-adapter.registry';
import { timeCaCall } from '../metrics/ca.metrics';
import { isDrivable, type IssueOutcome } from './ca-adapter.port';
import { issuanceRepository } from './persistence/issuance.repository';
import type { IssuanceOutcome } from './persistence/issuance.record';

const SOURCE = 'certflow/ca-gateway';

/**
 * Why the gateway itself refused a request before any CA saw it. Final: request.failed, stage issuance.
 * - `UnknownIssuer`: the request names an issuer this gateway does not serve (CERTFLOW_ISSUERS).
 * - `CsrRejected`: the CSR fails the gateway's own check (defence in depth: request checked it too).
 * - `CertificateUnreadable`: the CA returned something that is not one certificate.
 */
export type GatewayRefusalCode = 'UnknownIssuer' | 'CsrRejected' | 'CertificateUnreadable';

/** What handling one submitted request did; `events` are already in the outbox, in the same transaction. */
export type IssuanceResult = { kind: 'handled'; outcome: IssuanceOutcome; events: CloudEvent[] } | { kind: 'already-handled'; state: string };

/**
 * Takes a submitted request to its CA, once. Runs inside the consumer's transaction: the claim of the
 * request, the CA's answer and the events that tell it commit together, or not at all (then the
 * event is redelivered and it all runs again). Signing is CPU only, so holding the transaction is fine.
 */
@Injectable()
export class IssuanceService {
  private readonly log = new Logger(IssuanceService.name);

  constructor(
    private readonly registry: CaAdapterRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Handles event `inbox.eventId` once: claims the event and the request in one round trip, asks
   * the CA, then records the answer and puts the event that tells it in the outbox in another.
   */
  async handle(m: EntityManager, req: EventData<typeof RequestSubmittedV1>, inbox: { consumer: string; eventId: string }): Promise<IssuanceResult> {
    const at = this.clock.now();
    const placeholder: IssuanceOutcome = { kind: 'pending', detail: 'with the CA' };
    const { fresh, claimed } = await issuanceRepository.claimOnce(m, inbox, { requestId: req.requestId, issuer: req.issuer, at, outcome: placeholder });
    if (!fresh) return { kind: 'already-handled', state: 'this event was handled before' };
    if (!claimed) {
      // Another event for this request (a re-submission under a new event id) was handled already.
      const existing = await issuanceRepository.find(m, req.requestId);
      this.log.log(`request ${req.requestId} already handled (${existing?.state}); nothing published again`);
      return { kind: 'already-handled', state: existing?.state ?? 'unknown' };
    }

    const { outcome, thumbprint, events } = await this.answer(req);
    await issuanceRepository.recordAndPublish(m, req.requestId, outcome, thumbprint, at, events);
    // An adapter that follows up its own pending answers (ACME) gets the request via the order poller.
    if (outcome.kind === 'pending' && isDrivable(this.registry.get(req.issuer))) await issuanceRepository.scheduleDrive(m, req.requestId, req.csr, at);
    return { kind: 'handled', outcome, events };
  }

  /** Whether `handleDirect` may serve this request: its CA answers at once, in this process (or none serves it). */
  answersAtOnce(issuer: string): boolean {
    const adapter = this.registry.get(issuer);
    return !adapter || !isDrivable(adapter);
  }

  /**
   * For a CA that answers at once (the internal CA, offline, an unknown issuer): ask it first, then
   * record the answer with the inbox claim and the event in one statement — two round trips and no
   * transaction, where `handle` takes four. A look first skips a request already handled; two
   * deliveries racing past it both sign, and only the one that claims the request is kept.
   */
  async handleDirect(m: EntityManager, req: EventData<typeof RequestSubmittedV1>, inbox: { consumer: string; eventId: string }): Promise<IssuanceResult> {
    if (await issuanceRepository.seen(m, inbox, req.requestId)) return { kind: 'already-handled', state: 'handled before' };
    const at = this.clock.now();
    const { outcome, thumbprint, events } = await this.answer(req);
    const { fresh, claimed } = await issuanceRepository.recordOnce(m, inbox, { requestId: req.requestId, issuer: req.issuer, at, outcome, thumbprint }, events);
    if (!fresh || !claimed) {
      this.log.log(`request ${req.requestId} was handled meanwhile; this answer is dropped, nothing published again`);
      return { kind: 'already-handled', state: 'handled meanwhile' };
    }
    return { kind: 'handled', outcome, events };
  }

  /** The CA's answer to a request, its thumbprint when it issued, and the event that tells it. */
  private async answer(req: EventData<typeof RequestSubmittedV1>): Promise<{ outcome: IssuanceOutcome; thumbprint: string | null; events: CloudEvent[] }> {
    let outcome = await this.decide(req);
    let thumbprint: string | null = null;
    if (outcome.kind === 'issued') {
      thumbprint = this.thumbprintOf(outcome);
      if (!thumbprint) outcome = { kind: 'failed', code: 'CertificateUnreadable', message: 'the CA returned something that is not exactly one X.509 certificate' };
    }
    return { outcome, thumbprint, events: [this.eventFor(req, outcome, thumbprint)] };
  }

  private async decide(req: EventData<typeof RequestSubmittedV1>): Promise<IssuanceOutcome> {
    const adapter = this.registry.get(req.issuer);
    if (!adapter) {
      return {
        kind: 'failed',
        code: 'UnknownIssuer',
        message: `issuer "${req.issuer}" is not served by this gateway (served: ${this.registry.issuers().join(', ') || 'none'})`,
      };
    }
    let csr: CheckedCsr;
    try {
      csr = await checkCsr(req.csr, req.host);
    } catch (error) {
      if (!isPkiInputError(error)) throw error;
      return { kind: 'failed', code: 'CsrRejected', message: `${error.message} (${error.code})` };
    }
    // A throw here (CA unreachable) rolls everything back: the event is redelivered with backoff.
    return timeCaCall({ issuer: req.issuer, adapter: adapter.type, call: 'issue' }, () =>
      adapter.issue({ requestId: req.requestId, issuer: req.issuer, host: req.host, csrPem: req.csr, csr }),
    );
  }

  private eventFor(req: EventData<typeof RequestSubmittedV1>, outcome: IssuanceOutcome, thumbprint: string | null): CloudEvent {
    const opts = { source: SOURCE, subject: req.requestId, time: this.clock.now() };
    switch (outcome.kind) {
      case 'issued':
        return createEvent(
          CertificateIssuedV1,
          { requestId: req.requestId, issuer: req.issuer, certificate: outcome.certificate, chain: outcome.chain, thumbprint: thumbprint! },
          opts,
        );
      case 'pending':
        return createEvent(RequestPendingV1, { requestId: req.requestId, issuer: req.issuer, detail: outcome.detail }, opts);
      case 'refused':
      case 'failed':
        return createEvent(RequestFailedV1, { requestId: req.requestId, stage: 'issuance', code: outcome.code, message: outcome.message }, opts);
      default: {
        const unexpected: never = outcome;
        throw new Error(`unexpected outcome ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private thumbprintOf(outcome: Extract<IssueOutcome, { kind: 'issued' }>): string | null {
    try {
      return pemThumbprints(outcome.certificate).sha1;
    } catch (error) {
      if (isPkiInputError(error)) return null;
      throw error;
    }
  }
}
