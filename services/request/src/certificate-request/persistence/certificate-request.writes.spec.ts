import { planWrites } from '@certflow/messaging';
import { evolve, type RequestSnapshot } from '../domain/certificate-request.state';
import type { RequestRecord } from './certificate-request.mapper';
import { changedFields, historyInserts, requestInsert, requestUpdate } from './certificate-request.writes';

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
  rotationPolicy: 'Always',
  createdAt: created,
  updatedAt: created,
  wasIncomplete: false,
  pendingDetail: 'with the CA',
};

const request: RequestSnapshot = evolve(null, {
  type: 'Submitted',
  at: created,
  id: submitted.id,
  host: submitted.host,
  usages: submitted.usages,
  autoAssign: true,
  issuer: 'internal',
  friendlyName: null,
  csr: submitted.csr,
});

describe('changedFields', () => {
  it('names what a transition changed, and updatedAt', () => {
    const issued: RequestRecord = { ...submitted, state: 'ISSUED', thumbprint: 'AB12', certificate: 'PEM', chain: ['CA'], pendingDetail: undefined, updatedAt: later };
    expect(changedFields(submitted, issued)).toEqual(['state', 'thumbprint', 'certificate', 'chain', 'pendingDetail', 'updatedAt']);
  });

  it('leaves out a field replaced by an equal value: the same JSON, or a Date of the same instant', () => {
    const before: RequestRecord = { ...submitted, assignmentRequestedAt: new Date(later.getTime()) };
    const after: RequestRecord = { ...before, usages: [...before.usages], assignmentRequestedAt: new Date(later.getTime()), updatedAt: later };
    expect(changedFields(before, after)).toEqual(['updatedAt']);
  });

  it('names a cleared document', () => {
    const failed: RequestRecord = { ...submitted, state: 'FAILED', failure: { stage: 'issuance', code: 'X', message: 'm' } };
    expect(changedFields(failed, { ...failed, failure: undefined })).toEqual(['failure', 'updatedAt']);
  });
});

describe('requestUpdate', () => {
  it('sets only what changed and the version, matching on the id', () => {
    const pending = evolve(request, { type: 'Pending', at: later, detail: 'order placed' });
    const [st] = planWrites([requestUpdate(request, pending, 4)!]);
    expect(st.text).toBe(
      'UPDATE certificate_request AS t SET state = u.c1, pending_detail = u.c2, updated_at = u.c3, version = u.c4 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::int[]) AS u(c0, c1, c2, c3, c4) WHERE t.id = u.c0',
    );
    expect(st.values).toEqual([[request.id], ['PENDING'], ['order placed'], [later], [4]]);
  });

  it('stores documents as JSON with their instants as ISO text, and leaves the certificate and chain alone', () => {
    const validatedAt = new Date('2026-11-24T10:00:01.000Z');
    const issued = evolve(request, { type: 'Issued', at: later, thumbprint: 'T', certificate: 'C', chain: ['I'] });
    const incomplete = evolve(issued, { type: 'ChainIncomplete', at: validatedAt, missing: [{ kind: 'root', subject: 'CN=R' }], reasons: ['r'] });
    const failed = evolve(incomplete, { type: 'Failed', at: validatedAt, stage: 'assignment', code: 'C', message: 'M' });
    const [st] = planWrites([requestUpdate(issued, failed, 2)!]);
    const set = Object.fromEntries(st.text.match(/SET (.*) FROM/)![1].split(', ').map((p) => p.split(' = ')));
    const value = (column: string) => (st.values[Number(set[column].slice(3))] as unknown[])[0];
    expect(JSON.parse(value('validation') as string)).toEqual({ status: 'incomplete', missing: [{ kind: 'root', subject: 'CN=R' }], reasons: ['r'], validatedAt: validatedAt.toISOString() });
    expect(JSON.parse(value('failure') as string)).toEqual({ stage: 'assignment', code: 'C', message: 'M' });
    expect(set).not.toHaveProperty('certificate');
    expect(set).not.toHaveProperty('chain');
  });

  it('writes nothing for a transition that changed nothing the row holds', () => {
    expect(requestUpdate(request, { ...request }, 1)).toBeNull();
  });
});

describe('requestInsert', () => {
  it('writes every column, at version 0, with the idempotency pair', () => {
    const [st] = planWrites([requestInsert(request, { idempotencyKey: 'k', bodyHash: 'h' })]);
    expect(st.text).toMatch(/^INSERT INTO certificate_request \(/);
    for (const column of ['id', 'state', 'usages', 'auto_assign', 'csr', 'idempotency_key', 'body_hash', 'created_at', 'updated_at', 'version', 'thumbprint', 'failure']) {
      expect(st.text).toContain(column);
    }
    expect(st.values).toContainEqual([0]);
    expect(st.values).toContainEqual(['k']);
    expect(st.values).toContainEqual(['["Default","WebServicesInternal"]']);
  });
});

describe('historyInserts', () => {
  it('writes one row per state the events lead to, a repeated state once, with its reason', () => {
    const rows = historyInserts(request.id, [
      { type: 'Pending', at: created, detail: 'placed' },
      { type: 'Pending', at: later, detail: 'processing' },
      { type: 'Issued', at: later, thumbprint: 'T', certificate: 'C', chain: [] },
      { type: 'ChainCompleted', at: later, path: ['T'] },
      { type: 'AssignmentRequested', at: later, usages: ['Default'], by: 'auto' },
    ], 'SUBMITTED').map((w) => w.row);
    expect(rows).toEqual([
      { requestId: request.id, state: 'PENDING', at: created, reason: 'placed' },
      { requestId: request.id, state: 'ISSUED', at: later, reason: null },
      { requestId: request.id, state: 'ASSIGNABLE', at: later, reason: null },
    ]);
    expect(historyInserts(request.id, [{ type: 'Pending', at: later, detail: 'again' }], 'PENDING')).toEqual([]);
  });
});
