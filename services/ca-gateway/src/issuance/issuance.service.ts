import { Inject, Injectable } from '@nestjs/common';
import { insertRow, type Write } from '@certflow/messaging';
import {
  type CloudEvent,
  CertificateIssuedV1,
  createEvent,
  type EventData,
  RequestFailedV1,
  RequestPendingV1,
  type RequestSubmittedV1,
} from '@certflow/contracts';
import { checkCsr, type CheckedCsr, type Clock, isPkiInputError, parseCertificate, pemThumbprints } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CaAdapterRegistry } from './ca-adapter.registry';
import { timeCaCall } from '../metrics/ca.metrics';
import { isDrivable, type IssueOutcome } from './ca-adapter.port';
import { type IssuanceOutcome, stateOf } from './persistence/issuance.record';
import { ISSUANCE } from './persistence/issuance.tables';
import { ISSUED_SERIAL } from '../revocation/revocation.tables';
import { normalizeSerial } from '../revocation/serial-number';

const SOURCE = 'certflow/ca-gateway';

/**
 * Why the gateway itself refused a request before any CA saw it. Final: request.failed, stage issuance.
 * - `UnknownIssuer`: the request names an issuer this gateway does not serve (CERTFLOW_ISSUERS).
 * - `CsrRejected`: the CSR fails the gateway's own check (defence in depth: request checked it too).
 * - `CertificateUnreadable`: the CA returned something that is not one certificate.
 */
export type GatewayRefusalCode = 'UnknownIssuer' | 'CsrRejected' | 'CertificateUnreadable';

/** A CA's answer to one submitted request, before anything is recorded: the outcome and the event that tells it. */
export interface IssuanceAnswer {
  outcome: IssuanceOutcome;
  /** SHA-1 of the issued certificate; null unless issued. */
  thumbprint: string | null;
  event: CloudEvent;
  at: Date;
}

/**
 * Takes a submitted request to its CA and says what to record. Asking needs no database, so the
 * consumer asks before its transaction opens; the issuance row it then inserts decides, by its key,
 * that a request is issued once (see OnRequestSubmittedConsumer).
 */
@Injectable()
export class IssuanceService {
  constructor(
    private readonly registry: CaAdapterRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The CA's answer to a request, its thumbprint when it issued, and the event that tells it. */
  async answer(req: EventData<typeof RequestSubmittedV1>): Promise<IssuanceAnswer> {
    const at = this.clock.now();
    let outcome = await this.decide(req);
    let thumbprint: string | null = null;
    if (outcome.kind === 'issued') {
      thumbprint = this.thumbprintOf(outcome);
      if (!thumbprint) outcome = { kind: 'failed', code: 'CertificateUnreadable', message: 'the CA returned something that is not exactly one X.509 certificate' };
    }
    return { outcome, thumbprint, event: this.eventFor(req, outcome, thumbprint), at };
  }

  /**
   * The rows that claim the request with its answer. A pending answer of an adapter that follows up
   * its own answers (ACME) is handed to the order poller: due at once, with the CSR it finalizes with.
   * A leaf the internal CA signed is also recorded by serial, for its OCSP responder.
   */
  claim(req: EventData<typeof RequestSubmittedV1>, answer: IssuanceAnswer): Write[] {
    const { outcome, thumbprint } = answer;
    const writes = [this.issuanceRow(req, answer)];
    if (outcome.kind === 'issued' && thumbprint && this.registry.get(req.issuer)?.type === 'internal') {
      const leaf = parseCertificate(outcome.certificate);
      writes.push(
        insertRow(ISSUED_SERIAL, { issuer: req.issuer, serial: normalizeSerial(leaf.serialNumber), thumbprint, requestId: req.requestId, notAfter: leaf.notAfter }, { ifExists: 'skip' }),
      );
    }
    return writes;
  }

  private issuanceRow(req: EventData<typeof RequestSubmittedV1>, answer: IssuanceAnswer): Write {
    const { outcome, thumbprint, at } = answer;
    const drive = outcome.kind === 'pending' && isDrivable(this.registry.get(req.issuer));
    return insertRow(ISSUANCE, {
      requestId: req.requestId,
      issuer: req.issuer,
      state: stateOf(outcome),
      thumbprint,
      outcome,
      csrPem: drive ? req.csr : null,
      nextAttemptAt: drive ? at : null,
      pendingSince: drive ? at : null,
      attempts: 0,
      createdAt: at,
      updatedAt: at,
    });
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
    // A throw here (CA unreachable) fails the fact: the event is redelivered with backoff.
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
