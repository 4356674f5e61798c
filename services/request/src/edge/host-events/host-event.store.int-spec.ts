import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createEvent, CertificateAssignedV1 } from '@certflow/contracts';
import { HostFeedSignals } from './host-feed.signals';
import { openServiceDataSource } from '@certflow/persistence';
import { dropDatabase, runId, testDatabaseUrl } from '@certflow/testing';
import { Access1700000003000 } from '../../migrations/1700000003000-access';
import { HostEvents1700000006400 } from '../../migrations/1700000006400-host-events';
import { HostEventStore } from './host-event.store';

jest.setTimeout(30_000);

const assigned = (host: string) =>
  createEvent(
    CertificateAssignedV1,
    { requestId: randomUUID(), host, usages: ['Default'], thumbprint: 'A'.repeat(40), certificate: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n', chain: [] },
    { source: 'certflow/assignment', subject: host, id: randomUUID() },
  );

describe('HostEventStore (real PostgreSQL)', () => {
  const url = testDatabaseUrl(runId());
  let ds: DataSource;
  let store: HostEventStore;

  beforeAll(async () => {
    ds = await openServiceDataSource({ url, schema: 'request', entities: [], migrations: [Access1700000003000, HostEvents1700000006400] });
    store = new HostEventStore(ds, new HostFeedSignals());
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(url);
  });

  it('numbers a host\'s events 1, 2, 3… without a gap even when they are stored at the same time', async () => {
    const events = Array.from({ length: 12 }, () => assigned('Web01.Example.com'));
    const stored = await Promise.all(events.map((e) => store.append(e.data.host, e, new Date())));
    expect(stored.every(Boolean)).toBe(true);
    const rows = await store.after('web01.example.com', 0, 100);
    expect(rows.map((r) => r.position)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(rows.map((r) => r.envelope.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(rows[0].envelope).toMatchObject({ specversion: '1.0', type: CertificateAssignedV1.subject });
  });

  it('stores an event once however often it is delivered, and keeps hosts apart', async () => {
    const e = assigned('db01.example.com');
    expect(await store.append(e.data.host, e, new Date())).toBe(true);
    expect(await store.append(e.data.host, e, new Date())).toBe(false);
    expect((await store.after('db01.example.com', 0, 100)).map((r) => [r.position, r.envelope.id])).toEqual([[1, e.id]]);
    expect(await store.after('db01.example.com', 1, 100)).toEqual([]);
  });

  it('takes agent tokens in api_token', async () => {
    await ds.query(
      `INSERT INTO api_token (id, name, role, host_patterns, secret_sha256, created_at, created_by) VALUES ($1, 'edge', 'agent', '["a.example.com"]', $2, now(), 'admin')`,
      [randomUUID(), Buffer.from(randomUUID())],
    );
    await expect(ds.query(`INSERT INTO api_token (id, name, role, secret_sha256, created_at, created_by) VALUES ($1, 'x', 'root', $2, now(), 'admin')`, [randomUUID(), Buffer.from(randomUUID())])).rejects.toThrow(/api_token_role_check/);
  });
});
