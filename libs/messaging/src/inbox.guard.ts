import type { DataSource, EntityManager } from 'typeorm';

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
    const claimed: unknown[] = await m.query(inboxClaimSql(1, 2), [consumer, eventId]);
    if (claimed.length === 0) return { duplicate: true };
    return { duplicate: false, result: await fn(m) };
  });
}

/**
 * For a handler that claims its event in the same statement as its first read (a round trip saved
 * per event): a CTE body inserting `(consumer $c, event id $e)` into the inbox, returning a row only
 * when the event is new. Use it as `WITH fresh AS (${inboxClaimSql(1, 2)}) SELECT EXISTS (SELECT 1
 * FROM fresh) AS fresh, …` inside the transaction that applies the event; the semantics are those of
 * {@link handleOnce}. `where` makes the claim conditional on another part of the statement.
 */
export function inboxClaimSql(consumerParam: number, eventIdParam: number, where = ''): string {
  return `INSERT INTO inbox (consumer, event_id) SELECT $${consumerParam}::text, $${eventIdParam}::text ${where} ON CONFLICT DO NOTHING RETURNING 1`;
}
