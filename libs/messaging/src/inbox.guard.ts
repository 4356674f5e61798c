import type { DataSource, EntityManager } from 'typeorm';
import { InboxMessage } from './inbox-message.entity';

/** What `handleOnce` did: nothing (the event was handled before), or ran `fn` and returns its result. */
export type HandleOnceResult<T> = { duplicate: true } | { duplicate: false; result: T };

/**
 * Runs `fn` for an event at most once per consumer, however often JetStream delivers it. In one
 * transaction: the inbox row `(consumer, eventId)` is inserted, and if it already existed `fn` is not
 * called; otherwise `fn` runs with the transaction's manager (write state and `enqueue` events
 * through it). Everything commits together, then the caller returns and the transport acks.
 *
 * If `fn` throws, the transaction rolls back, the inbox row with it, and the redelivery runs `fn`
 * again. Two deliveries of one event at once serialise on the row: the second waits for the first
 * to commit and then counts as a duplicate.
 */
export async function handleOnce<T>(
  ds: DataSource,
  consumer: string,
  eventId: string,
  fn: (m: EntityManager) => Promise<T>,
): Promise<HandleOnceResult<T>> {
  return ds.transaction(async (m): Promise<HandleOnceResult<T>> => {
    const inserted = await m
      .createQueryBuilder()
      .insert()
      .into(InboxMessage)
      .values({ consumer, eventId })
      .orIgnore()
      .returning('event_id')
      .execute();
    const rows = Array.isArray(inserted.raw) ? inserted.raw : [];
    if (rows.length === 0) return { duplicate: true };
    return { duplicate: false, result: await fn(m) };
  });
}
