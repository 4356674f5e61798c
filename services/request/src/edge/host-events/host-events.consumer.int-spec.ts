import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CertificateExpiredV1, CertificateExpiringV1, CertificateRenewalDueV1, CertificateUnassignedV1, createEvent, type CloudEvent } from '@certflow/contracts';
import { FactProcessor, MESSAGING_MIGRATIONS, type FactHandler } from '@certflow/messaging';
import { openServiceDataSource } from '@certflow/persistence';
import { dropDatabase, fixedClock, runId, testDatabaseUrl } from '@certflow/testing';
import { Access1700000003000 } from '../../migrations/1700000003000-access';
import { HostEvents1700000006400 } from '../../migrations/1700000006400-host-events';
import { HostFeedSignals } from './host-feed.signals';
import { HostEventStore } from './host-event.store';
import { HOST_EVENT_HANDLERS } from './host-events.consumer';

jest.setTimeout(30_000);

const TP = 'A'.repeat(40);
const NOT_AFTER = '2030-06-01T00:00:00.000Z';

// The host feed's handlers on real PostgreSQL, as the transport hands them batches: an agent reads
// renewal-due, expiring, expired and unassigned for its host from GET /api/v1/hosts/{host}/events.
describe('host feed handlers for the lifecycle events (real PostgreSQL)', () => {
  const url = testDatabaseUrl(runId());
  let ds: DataSource;
  let store: HostEventStore;
  let handlers: Map<string, FactHandler<unknown>>;
  let processor: FactProcessor;

  beforeAll(async () => {
    ds = await openServiceDataSource({ url, schema: 'request', entities: [], migrations: [...MESSAGING_MIGRATIONS, Access1700000003000, HostEvents1700000006400] });
    store = new HostEventStore(ds, new HostFeedSignals());
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    processor = new FactProcessor(ds, { publishCommitted() {} }, silent);
    const clock = fixedClock('2030-05-01T00:00:00Z');
    handlers = new Map(HOST_EVENT_HANDLERS.map((H) => {
      const h = new H(processor, store, clock) as unknown as FactHandler<unknown>;
      return [h.event.subject, h];
    }));
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(url);
  });

  const deliver = (e: CloudEvent) => processor.process({ deliveries: [{ payload: JSON.parse(JSON.stringify(e)), deliveryCount: 1 }] }, handlers.get(e.type)!);

  it('stores each lifecycle event for its host once, in order', async () => {
    const host = `feed-${runId()}.example.com`;
    const requestId = randomUUID();
    const src = { source: 'certflow/assignment', subject: requestId };
    const events = [
      createEvent(CertificateRenewalDueV1, { requestId, host, thumbprint: TP, notAfter: NOT_AFTER, usages: ['Default'], issuer: 'internal', rotationPolicy: 'Always' }, src),
      createEvent(CertificateExpiringV1, { requestId, host, thumbprint: TP, notAfter: NOT_AFTER, daysLeft: 14, usages: ['Default'] }, src),
      createEvent(CertificateExpiredV1, { requestId, host, thumbprint: TP, notAfter: NOT_AFTER, usages: ['Default'] }, src),
      createEvent(CertificateUnassignedV1, { requestId, host, thumbprint: TP, usages: ['Default'], reason: 'replaced', remaining: [] }, src),
    ];
    for (const e of events) await deliver(e);
    await deliver(events[0]);
    const rows = await store.after(host, 0, 100);
    expect(rows.map((r) => [r.position, r.envelope.type, r.envelope.id])).toEqual(events.map((e, i) => [i + 1, e.type, e.id]));
  });
});
