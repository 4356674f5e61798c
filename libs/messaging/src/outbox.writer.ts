import type { EntityManager, QueryDeepPartialEntity } from 'typeorm';
import type { CloudEvent } from '@certflow/contracts';
import { OutboxMessage } from './outbox-message.entity';

/**
 * Records events to publish, through `manager` — pass the manager of the transaction that changes
 * the state, so the events exist exactly when the change commits (a rollback leaves none). The
 * `OutboxRelay` publishes them afterwards: after the commit, hand the same events to
 * `relay.publishCommitted` (published at once), or call `relay.kick()` (published by a round).
 *
 * An event whose id is already in the outbox is skipped: the same event enqueued twice is one event.
 */
export async function enqueue(manager: EntityManager, ...events: CloudEvent[]): Promise<void> {
  if (events.length === 0) return;
  await manager
    .createQueryBuilder()
    .insert()
    .into(OutboxMessage)
    // `as never`: TypeORM's deep-partial type cannot express a jsonb column holding `unknown` data.
    .values(events.map((e): QueryDeepPartialEntity<OutboxMessage> => ({ id: e.id, subject: e.type, payload: e as never })))
    .orIgnore()
    .execute();
}
