// The audit log's table as it is written (see @certflow/messaging's defineTable).
import { defineTable, insertRow, type Write } from '@certflow/messaging';
import type { AuditKind, NewAuditEntry } from './audit.store';

export interface AuditEntryColumns {
  /** The table's own order; never written. */
  seq?: string;
  at: Date;
  kind: AuditKind;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
  eventId: string | null;
}

export const AUDIT_ENTRY = defineTable<AuditEntryColumns>(
  'audit_entry',
  {
    seq: { name: 'seq', type: 'bigint' },
    at: { name: 'at', type: 'timestamptz' },
    kind: { name: 'kind', type: 'text' },
    actor: { name: 'actor', type: 'text' },
    subject: { name: 'subject', type: 'text' },
    details: { name: 'details', type: 'jsonb' },
    eventId: { name: 'event_id', type: 'text' },
  },
  ['seq'],
);

/** An entry as a write; one for an event already recorded (its event id is unique) is left out. */
export function auditWrite(e: NewAuditEntry): Write {
  return insertRow(AUDIT_ENTRY, { at: e.at, kind: e.kind, actor: e.actor, subject: e.subject, details: e.details ?? {}, eventId: e.eventId ?? null }, { ifExists: 'skip' });
}
