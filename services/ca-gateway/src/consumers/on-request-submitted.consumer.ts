import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { parseEvent, RequestSubmittedV1 } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { enqueue, handleOnce, OutboxRelay } from '@certflow/messaging';
import { IssuanceService } from '../issuance/issuance.service';

/** The inbox key of this consumer: one handling per event id. */
export const ON_REQUEST_SUBMITTED = 'ca-gateway.on-request-submitted';

/**
 * request.submitted → the request's CA. Publishes certificate.issued, request.pending or
 * request.failed (stage issuance) through the outbox, in the transaction that records the issuance.
 */
@Controller()
export class OnRequestSubmittedConsumer {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly issuance: IssuanceService,
    private readonly relay: OutboxRelay,
  ) {}

  @EventPattern<string>(RequestSubmittedV1.subject)
  async onSubmitted(@Payload() raw: unknown): Promise<void> {
    const event = parseEvent(RequestSubmittedV1, raw);
    const out = await handleOnce(this.ds, ON_REQUEST_SUBMITTED, event.id, async (m) => {
      const result = await this.issuance.handle(m, event.data);
      if (result.kind === 'handled') await enqueue(m, ...result.events);
      return result;
    });
    if (!out.duplicate && out.result.kind === 'handled') this.relay.kick();
  }
}
