import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CertificateAssignedV1, parseEvent, type CloudEvent, type EventDefinition } from '@certflow/contracts';
import type { JetStreamContext } from '@certflow/messaging';
import { HostEventStore } from './host-event.store';

/**
 * Stores the facts a fleet host acts on in its feed (host_event), once per event id: one statement,
 * acked after it, like the audit entries. Runs beside the other handlers of the same subject (Nest
 * chains them on the service's one durable consumer), so no consumer or subject is added.
 * Later host events (unassigned, renewal-due, expiring) get a handler here each, nothing else.
 */
@Controller()
export class HostEventsConsumer {
  constructor(
    private readonly store: HostEventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @EventPattern<string>(CertificateAssignedV1.subject)
  async onCertificateAssigned(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    await this.record(CertificateAssignedV1, raw);
  }

  private async record<T extends { host: string }>(def: EventDefinition<string, T>, raw: unknown): Promise<void> {
    const e: CloudEvent<string, T> = parseEvent(def, raw);
    await this.store.append(e.data.host, e, this.clock.now());
  }
}
