import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { DeadLetterV1, parseEvent } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { DeadLetterRow } from './dead-letter.orm-entity';
import { requestIdOf } from './dead-letter.view';

/**
 * Keeps every `certflow.deadletter.v1` (from any service) so operators can read them through the
 * API. The dead letter's id is stable per original message, so redelivery is a no-op insert.
 */
@Controller()
export class DeadLettersConsumer {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  @EventPattern<string>(DeadLetterV1.subject)
  async onDeadLetter(@Payload() raw: unknown): Promise<void> {
    const e = parseEvent(DeadLetterV1, raw);
    await this.ds
      .createQueryBuilder()
      .insert()
      .into(DeadLetterRow)
      .values({
        id: e.id,
        consumer: e.data.consumer,
        originalSubject: e.data.originalSubject,
        originalId: e.data.originalId ?? null,
        deliveries: e.data.deliveries,
        error: e.data.error,
        requestId: requestIdOf(e.data.payload) ?? null,
        at: new Date(e.time),
        payload: e.data.payload,
      })
      .orIgnore()
      .execute();
  }
}
