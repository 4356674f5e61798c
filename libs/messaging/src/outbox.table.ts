import type { CloudEvent } from '@certflow/contracts';
import { defineTable, insertRow, type Write } from './facts/table';

/** The outbox as a column map, for code outside a fact handler that writes its state with `planWrites`. */
export const OUTBOX_TABLE = defineTable<{ id: string; subject: string; payload: CloudEvent }>(
  'outbox',
  { id: { name: 'id', type: 'text' }, subject: { name: 'subject', type: 'text' }, payload: { name: 'payload', type: 'jsonb' } },
  ['id'],
);

/**
 * The events to publish as outbox writes, in order, to run in the transaction that changes the
 * state (as a fact handler's `publish` is); an id already in the outbox is skipped. After the commit,
 * hand the same events to `OutboxRelay.publishCommitted`.
 */
export function outboxWrites(events: readonly CloudEvent[]): Write[] {
  return events.map((e) => insertRow(OUTBOX_TABLE, { id: e.id, subject: e.type, payload: e }, { ifExists: 'skip' }));
}
