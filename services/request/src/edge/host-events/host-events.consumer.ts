import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CertificateAssignedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { HostEventStore } from './host-event.store';

type CertificateAssigned = EventData<typeof CertificateAssignedV1>;

/**
 * Stores the facts a fleet host acts on in its feed (host_event), once per event id, in the batch's
 * transaction. Runs beside the other handlers of the same subject (Nest chains them on the
 * service's one durable consumer, each with its own inbox), so no consumer or subject is added.
 * Later host events (unassigned, renewal-due, expiring) get a handler here each, nothing else.
 */
@Controller()
export class HostEventsOnCertificateAssigned implements FactHandler<CertificateAssigned> {
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
    const { writes, stored } = await this.store.appendWrites(
      tx.query,
      facts.map((f) => ({ host: f.event.data.host, event: f.event })),
      this.clock.now(),
    );
    // The writes are numbered together (positions per host in order): the first new fact carries them all.
    const first = stored.indexOf(true);
    return facts.map((_, i): Verdict => (i === first ? { kind: 'apply', writes } : stored[i] ? { kind: 'apply' } : { kind: 'skip', note: 'already in the host feed' }));
  }

  committed(facts: readonly Fact<CertificateAssigned>[], verdicts: readonly Verdict[]): void {
    this.store.appended(facts.filter((_, i) => verdicts[i].kind === 'apply').map((f) => f.event.data.host));
  }
}
