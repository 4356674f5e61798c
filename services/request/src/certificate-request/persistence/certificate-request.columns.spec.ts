import type { RequestRecord } from './certificate-request.mapper';
import { changedColumns, columns, mutableValues } from './certificate-request.columns';

const created = new Date('2026-11-24T10:00:00.000Z');
const later = new Date('2026-11-24T10:00:05.000Z');

const submitted: RequestRecord = {
  id: '6f1c3a52-0c4e-4a8e-9d7e-2b1f0c9a7e11',
  host: 'web01.fleet.example.com',
  state: 'SUBMITTED',
  usages: ['Default', 'WebServicesInternal'],
  autoAssign: true,
  issuer: 'internal',
  friendlyName: null,
  csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----',
  createdAt: created,
  updatedAt: created,
  wasIncomplete: false,
  pendingDetail: 'with the CA',
};

/** Column name → value, from the SET clause and its values. */
function sets(change: { sql: string; values: unknown[] }, first: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of change.sql.split(', ').filter(Boolean)) {
    const [name, placeholder] = part.split(' = ');
    out[name] = change.values[Number(placeholder.slice(1)) - first];
  }
  return out;
}

describe('changedColumns', () => {
  it('sets what a transition changed, and updated_at, with consecutive placeholders from `first`', () => {
    const issued: RequestRecord = { ...submitted, state: 'ISSUED', thumbprint: 'AB12', certificate: 'PEM', chain: ['CA'], pendingDetail: undefined, updatedAt: later };
    const change = changedColumns(submitted, issued, 7);
    expect(change.sql).toBe('state = $7, thumbprint = $8, certificate = $9, chain = $10, pending_detail = $11, updated_at = $12');
    expect(change.values).toEqual(['ISSUED', 'AB12', 'PEM', '["CA"]', null, later]);
  });

  it('leaves out a field replaced by an equal value: the same JSON, or a Date of the same instant', () => {
    const before: RequestRecord = { ...submitted, assignmentRequestedAt: new Date(later.getTime()) };
    const after: RequestRecord = { ...before, usages: [...before.usages], assignmentRequestedAt: new Date(later.getTime()), updatedAt: later };
    expect(sets(changedColumns(before, after, 1), 1)).toEqual({ updated_at: later });
  });

  it('always sets updated_at, even when nothing else changed', () => {
    expect(changedColumns(submitted, { ...submitted }, 3)).toEqual({ sql: 'updated_at = $3', values: [created] });
  });

  it('stores documents as JSON with their instants as ISO text', () => {
    const validatedAt = new Date('2026-11-24T10:00:01.000Z');
    const assignedAt = new Date('2026-11-24T10:00:02.000Z');
    const after: RequestRecord = {
      ...submitted,
      state: 'ASSIGNED',
      validation: { status: 'complete', path: ['leaf', 'root'], validatedAt },
      assignment: { usages: ['Default'], assignedAt },
      failure: undefined,
    };
    const set = sets(changedColumns(submitted, after, 1), 1);
    expect(JSON.parse(set.validation as string)).toEqual({ status: 'complete', path: ['leaf', 'root'], validatedAt: validatedAt.toISOString() });
    expect(JSON.parse(set.assignment as string)).toEqual({ usages: ['Default'], assignedAt: assignedAt.toISOString() });
    expect(set).not.toHaveProperty('failure');
  });

  it('sets a cleared document to NULL', () => {
    const failed: RequestRecord = { ...submitted, state: 'FAILED', failure: { stage: 'issuance', code: 'X', message: 'm' } };
    const set = sets(changedColumns(failed, { ...failed, failure: undefined }, 1), 1);
    expect(set).toHaveProperty('failure', null);
  });
});

describe('columns and mutableValues', () => {
  it('give one value per placeholder, in the same order as changedColumns names them', () => {
    const placeholders = mutableValues(10).split(', ');
    const values = columns(submitted);
    expect(values).toHaveLength(placeholders.length);
    expect(placeholders[0]).toBe('$10');
    // Every column changed at once: changedColumns lists them in the order columns() gives values.
    const everything: RequestRecord = {
      ...submitted,
      state: 'FAILED',
      usages: ['Default'],
      thumbprint: 'T',
      certificate: 'C',
      chain: ['I'],
      wasIncomplete: true,
      validation: { status: 'invalid', reasons: ['r'], validatedAt: later },
      assignment: { usages: ['Default'], assignedAt: later },
      assignmentRequestedAt: later,
      failure: { stage: 'assignment', code: 'C', message: 'M' },
      pendingDetail: 'other',
      updatedAt: later,
    };
    const change = changedColumns(submitted, everything, 1);
    expect(change.values).toEqual(columns(everything));
    expect(change.sql.split(', ')).toHaveLength(placeholders.length);
  });
});
