import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { parseEvent, RequestSubmittedV1 } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { OutboxRelay } from '@certflow/messaging';
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
    const inbox = { consumer: ON_REQUEST_SUBMITTED, eventId: event.id };
    // A CA that answers at once is asked first and its answer recorded in one statement; one that
    // answers later (ACME) is asked inside a transaction with the claim, so a crash cannot lose the order.
    const result = this.issuance.answersAtOnce(event.data.issuer)
      ? await this.issuance.handleDirect(this.ds.manager, event.data, inbox)
      : await this.ds.transaction((m) => this.issuance.handle(m, event.data, inbox));
    // Committed by now (one statement, or the transaction above): publish what it stored.
    if (result.kind === 'handled') this.relay.publishCommitted(result.events);
  }
}
