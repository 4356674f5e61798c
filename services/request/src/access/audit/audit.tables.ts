import { defineTable, insertRow, type Write } from '@certflow/messaging';
import type { NewAuditEntry } from './audit.store';

/** `audit_entry` as it is written (`seq` is the table's own sequence). Append-only: inserts, nothing else. */
export const AUDIT_ENTRIES = defineTable<Required<Omit<NewAuditEntry, 'eventId'>> & { eventId: string | null }>(
  'audit_entry',
  {
    at: { name: 'at', type: 'timestamptz' },
    kind: { name: 'kind', type: 'text' },
    actor: { name: 'actor', type: 'text' },
    subject: { name: 'subject', type: 'text' },
    details: { name: 'details', type: 'jsonb' },
    eventId: { name: 'event_id', type: 'text' },
  },
  ['eventId'],
);

/** The insert of one entry; a second entry made from the same event is not written. */
export function auditEntryWrite(e: NewAuditEntry): Write {
  return insertRow(AUDIT_ENTRIES, { at: e.at, kind: e.kind, actor: e.actor, subject: e.subject, details: e.details ?? {}, eventId: e.eventId ?? null }, { ifExists: 'skip' });
}
