import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  CertificateAssignedV1,
  CertificateIssuedV1,
  CertificateRevokedV1,
  CertificateUnassignedV1,
  ChainCompleteV1,
  ChainIncompleteV1,
  RequestFailedV1,
  RequestPendingV1,
  type CloudEvent,
  type EventData,
  type EventDefinition,
} from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { RequestFactDecider, type RequestFact } from './request-fact.decider';

/**
 * Facts published by the other services, turned into commands on the request they concern: one
 * handler per subject (its inbox key `request.<subject>`), all deciding through `RequestFactDecider`.
 * A fact that cannot apply yet goes back to JetStream (see the state machine's "any order" rule).
 */
@Injectable()
abstract class RequestFactsHandler<T extends { requestId: string }> implements FactHandler<T> {
  abstract readonly event: EventDefinition<string, T>;

  constructor(
    protected readonly facts: FactProcessor,
    private readonly decider: RequestFactDecider,
  ) {}

  get consumer(): string {
    return `request.${this.event.subject}`;
  }

  /** The command a fact is on the request it names. */
  protected abstract command(e: CloudEvent<string, T>): RequestFact['command'];

  decide(facts: readonly Fact<T>[], tx: FactTx): Promise<Verdict[]> {
    return this.decider.decide(
      this.event.subject,
      facts.map((f) => ({ event: f.event, deliveryCount: f.deliveryCount, command: this.command(f.event) })),
      tx,
    );
  }

  committed(_facts: readonly Fact<T>[], verdicts: readonly Verdict[]): void {
    this.decider.committed(verdicts);
  }
}

@Controller()
export class OnRequestPending extends RequestFactsHandler<EventData<typeof RequestPendingV1>> {
  readonly event = RequestPendingV1;
  @FactPattern(RequestPendingV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof RequestPendingV1>>): RequestFact['command'] {
    return { type: 'MarkPending', at: new Date(e.time), detail: e.data.detail };
  }
}

@Controller()
export class OnCertificateIssued extends RequestFactsHandler<EventData<typeof CertificateIssuedV1>> {
  readonly event = CertificateIssuedV1;
  @FactPattern(CertificateIssuedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof CertificateIssuedV1>>): RequestFact['command'] {
    const { certificate, chain, thumbprint } = e.data;
    return { type: 'RecordIssued', at: new Date(e.time), thumbprint, certificate, chain };
  }
}

@Controller()
export class OnChainComplete extends RequestFactsHandler<EventData<typeof ChainCompleteV1>> {
  readonly event = ChainCompleteV1;
  @FactPattern(ChainCompleteV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof ChainCompleteV1>>): RequestFact['command'] {
    const { thumbprint, path, certificate, chain } = e.data;
    return { type: 'RecordChainComplete', at: new Date(e.time), thumbprint, path, ...carried(certificate, chain) };
  }
}

@Controller()
export class OnChainIncomplete extends RequestFactsHandler<EventData<typeof ChainIncompleteV1>> {
  readonly event = ChainIncompleteV1;
  @FactPattern(ChainIncompleteV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof ChainIncompleteV1>>): RequestFact['command'] {
    const { thumbprint, missing, reasons, certificate, chain } = e.data;
    return { type: 'RecordChainIncomplete', at: new Date(e.time), thumbprint, missing, reasons, ...carried(certificate, chain) };
  }
}

@Controller()
export class OnCertificateAssigned extends RequestFactsHandler<EventData<typeof CertificateAssignedV1>> {
  readonly event = CertificateAssignedV1;
  @FactPattern(CertificateAssignedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof CertificateAssignedV1>>): RequestFact['command'] {
    const { thumbprint, usages, notBound, renewalDueAt } = e.data;
    return { type: 'RecordAssigned', at: new Date(e.time), thumbprint, usages, notBound, ...(renewalDueAt ? { renewalDueAt: new Date(renewalDueAt) } : {}) };
  }
}

/** Bindings released: the old request of a renewal becomes SUPERSEDED once nothing is left bound. */
@Controller()
export class OnCertificateUnassigned extends RequestFactsHandler<EventData<typeof CertificateUnassignedV1>> {
  readonly event = CertificateUnassignedV1;
  @FactPattern(CertificateUnassignedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof CertificateUnassignedV1>>): RequestFact['command'] {
    const { thumbprint, reason, remaining, replacedBy } = e.data;
    // An older publisher that does not say what remains: the usages it released were all it had.
    return { type: 'RecordUnassigned', at: new Date(e.time), thumbprint, reason, remaining: remaining ?? [], ...(replacedBy ? { replacedBy: replacedBy.requestId } : {}) };
  }
}

@Controller()
export class OnRequestFailed extends RequestFactsHandler<EventData<typeof RequestFailedV1>> {
  readonly event = RequestFailedV1;
  @FactPattern(RequestFailedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof RequestFailedV1>>): RequestFact['command'] {
    const { stage, code, message } = e.data;
    return { type: 'Fail', at: new Date(e.time), stage, code, message };
  }
}

/** ca-gateway revoked the certificate (or recorded it, for an offline CA): REVOKED. */
@Controller()
export class OnCertificateRevoked extends RequestFactsHandler<EventData<typeof CertificateRevokedV1>> {
  readonly event = CertificateRevokedV1;
  @FactPattern(CertificateRevokedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
  protected command(e: CloudEvent<string, EventData<typeof CertificateRevokedV1>>): RequestFact['command'] {
    const { thumbprint, reason, revokedAt, atCa } = e.data;
    return { type: 'RecordRevoked', at: new Date(e.time), thumbprint, reason, revokedAt: new Date(revokedAt), ...(atCa ? { atCa } : {}) };
  }
}

/** The certificate a validation carries, when its publisher sent it (older ones did not). */
function carried(certificate: string | undefined, chain: string[] | undefined): { certificate?: string; chain?: string[] } {
  return certificate === undefined ? {} : { certificate, ...(chain ? { chain } : {}) };
}

/** The eight, for the module and for tests that run them without Nest (renewal-due has its own: it may submit a renewal). */
export const REQUEST_FACT_HANDLERS = [OnRequestPending, OnCertificateIssued, OnChainComplete, OnChainIncomplete, OnCertificateAssigned, OnCertificateUnassigned, OnRequestFailed, OnCertificateRevoked] as const;
