import { Controller, Inject, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import {
  CertificateAssignedV1,
  CertificateExpiredV1,
  CertificateExpiringV1,
  CertificateRenewalDueV1,
  CertificateUnassignedV1,
  type EventData,
  type EventDefinition,
} from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { HostEventStore } from './host-event.store';

/**
 * Stores the facts a fleet host acts on in its feed (host_event), once per event id, in the batch's
 * transaction. Runs beside the other handlers of the same subject (Nest chains them on the
 * service's one durable consumer, each with its own inbox), so no consumer or subject is added.
 * A host event is any fact with a `host`: one subclass per subject, nothing else.
 */
@Injectable()
abstract class HostEventsHandler<T extends { host: string }> implements FactHandler<T> {
  abstract readonly event: EventDefinition<string, T>;

  get consumer(): string {
    return `request.host-events.${this.event.subject}`;
  }

  constructor(
    protected readonly facts: FactProcessor,
    private readonly store: HostEventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async decide(facts: readonly Fact<T>[], tx: FactTx): Promise<Verdict[]> {
    const { writes, stored } = await this.store.appendWrites(
      tx.query,
      facts.map((f) => ({ host: f.event.data.host, event: f.event })),
      this.clock.now(),
    );
    // The writes are numbered together (positions per host in order): the first new fact carries them all.
    const first = stored.indexOf(true);
    return facts.map((_, i): Verdict => (i === first ? { kind: 'apply', writes } : stored[i] ? { kind: 'apply' } : { kind: 'skip', note: 'already in the host feed' }));
  }

  committed(facts: readonly Fact<T>[], verdicts: readonly Verdict[]): void {
    this.store.appended(facts.filter((_, i) => verdicts[i].kind === 'apply').map((f) => f.event.data.host));
  }
}

@Controller()
export class HostEventsOnCertificateAssigned extends HostEventsHandler<EventData<typeof CertificateAssignedV1>> {
  readonly event = CertificateAssignedV1;
  @FactPattern(CertificateAssignedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
}

/** The agent renews on it ('Always': a new key on the host). */
@Controller()
export class HostEventsOnRenewalDue extends HostEventsHandler<EventData<typeof CertificateRenewalDueV1>> {
  readonly event = CertificateRenewalDueV1;
  @FactPattern(CertificateRenewalDueV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
}

@Controller()
export class HostEventsOnExpiring extends HostEventsHandler<EventData<typeof CertificateExpiringV1>> {
  readonly event = CertificateExpiringV1;
  @FactPattern(CertificateExpiringV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
}

@Controller()
export class HostEventsOnExpired extends HostEventsHandler<EventData<typeof CertificateExpiredV1>> {
  readonly event = CertificateExpiredV1;
  @FactPattern(CertificateExpiredV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
}

/** The agent may drop the replaced certificate's files once nothing is bound to it. */
@Controller()
export class HostEventsOnUnassigned extends HostEventsHandler<EventData<typeof CertificateUnassignedV1>> {
  readonly event = CertificateUnassignedV1;
  @FactPattern(CertificateUnassignedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }
}

export const HOST_EVENT_HANDLERS = [HostEventsOnCertificateAssigned, HostEventsOnRenewalDue, HostEventsOnExpiring, HostEventsOnExpired, HostEventsOnUnassigned] as const;
