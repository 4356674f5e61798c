import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CertificateAssignedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { HostEventStore } from './host-event.store';

type CertificateAssigned = EventData<typeof CertificateAssignedV1>;

/**
 * Stores the facts a fleet host acts on in its feed (host_event), once per event id. Runs beside the
 * other handlers of the same subject (Nest chains them on the service's one durable consumer, each
 * with its own inbox), so no consumer or subject is added. Later host events (unassigned,
 * renewal-due, expiring) get a handler here each, deciding through the same `planAppends`.
 */
@Controller()
export class HostEventsConsumer implements FactHandler<CertificateAssigned> {
  readonly consumer = `request.host-events.${CertificateAssignedV1.subject}`;
  readonly event = CertificateAssignedV1;

  constructor(
    private readonly facts: FactProcessor,
    private readonly store: HostEventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @FactPattern(CertificateAssignedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<CertificateAssigned>[], tx: FactTx): Promise<Verdict[]> {
    const writes = await this.store.planAppends(tx, facts.map((f) => ({ host: f.event.data.host, event: f.event })), this.clock.now());
    return writes.map((w): Verdict => (w ? { kind: 'apply', writes: [w] } : { kind: 'skip', note: 'already in the host feed' }));
  }

  committed(facts: readonly Fact<CertificateAssigned>[], verdicts: readonly Verdict[]): void {
    this.store.announce(facts.filter((_, i) => verdicts[i].kind === 'apply').map((f) => f.event.data.host));
  }
}
