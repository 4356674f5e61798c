// How a request record maps to the certificate_request columns a command may change, and which
// of them one transition changed. The repository passes records (`toRecord`), not domain states.
import type { RequestRecord } from './certificate-request.mapper';

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/**
 * The columns a command may change, each with the record field it stores and how: in this order
 * `columns` gives their values.
 */
const MUTABLE: { name: string; field: keyof RequestRecord; value: (s: RequestRecord) => unknown }[] = [
  { name: 'state', field: 'state', value: (s) => s.state },
  { name: 'usages', field: 'usages', value: (s) => json(s.usages) },
  { name: 'thumbprint', field: 'thumbprint', value: (s) => s.thumbprint ?? null },
  { name: 'certificate', field: 'certificate', value: (s) => s.certificate ?? null },
  { name: 'chain', field: 'chain', value: (s) => json(s.chain) },
  { name: 'was_incomplete', field: 'wasIncomplete', value: (s) => s.wasIncomplete },
  { name: 'validation', field: 'validation', value: (s) => json(s.validation ? { ...s.validation, validatedAt: s.validation.validatedAt.toISOString() } : null) },
  { name: 'assignment', field: 'assignment', value: (s) => json(s.assignment ? { ...s.assignment, assignedAt: s.assignment.assignedAt.toISOString() } : null) },
  { name: 'assignment_requested_at', field: 'assignmentRequestedAt', value: (s) => s.assignmentRequestedAt ?? null },
  { name: 'failure', field: 'failure', value: (s) => json(s.failure) },
  { name: 'pending_detail', field: 'pendingDetail', value: (s) => s.pendingDetail ?? null },
  { name: 'updated_at', field: 'updatedAt', value: (s) => s.updatedAt },
];

/** Placeholders for the twelve columns a command may change, from `$first`, in the order `columns` gives them. */
export function mutableValues(first: number): string {
  return MUTABLE.map((_, i) => `$${first + i}`).join(', ');
}

/** Equal column values: the same text or number, or the same instant. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a instanceof Date && b instanceof Date && a.getTime() === b.getTime());
}

/**
 * `SET` only what changed (placeholders from `$first`): rewriting the certificate, chain and
 * validation documents on every transition made PostgreSQL compress them again each time. A field
 * the transition left as it was (the same value or object) is not serialized at all: turning the
 * certificate and chain into JSON twice per fact cost a third of the fact handler.
 */
export function changedColumns(before: RequestRecord, after: RequestRecord, first: number): { sql: string; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const c of MUTABLE) {
    if (c.name !== 'updated_at' && before[c.field] === after[c.field]) continue;
    const now = c.value(after);
    if (c.name !== 'updated_at' && sameValue(c.value(before), now)) continue;
    values.push(now);
    sets.push(`${c.name} = $${first + sets.length}`);
  }
  return { sql: sets.join(', '), values };
}

/** The values of the columns a command may change, in the order of `mutableValues`' placeholders. */
export function columns(s: RequestRecord): unknown[] {
  return MUTABLE.map((c) => c.value(s));
}
