import { randomUUID } from 'node:crypto';
import { AssignmentRequestedV1, CertificateAssignedV1, ChainCompleteV1, createEvent, RequestFailedV1, type CloudEvent, type Usage } from '@certflow/contracts';
import { FactProcessor, type FactBatch } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { loadConfig } from '@certflow/runtime';
import { runId, sleep, startTestService, testDatabaseUrl, TestPki, TEST_NATS_URL, type IssuedLeaf, type RunningService } from '@certflow/testing';
import type { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { AssignmentConfigSchema } from '../config';
import { OnAssignmentRequestedConsumer } from './consumers/on-assignment-requested.consumer';
import { OnChainCompleteConsumer } from './consumers/on-chain-complete.consumer';
import { assignmentsWaiting, oldestAssignmentWaitSeconds } from './metrics/waiting-assignments.metrics';

jest.setTimeout(120_000);

const ALL: Usage[] = ['Default', 'WebServicesInternal', 'WebServicesExternal'];

/**
 * The two assignment fact handlers driven batch by batch through the real FactProcessor and
 * PostgreSQL (the service runs, so what they publish reaches NATS and the event log).
 */
describe('assignment fact handlers, in either order', () => {
  const id = runId();
  const service = `assignment-facts-${id}`;
  let svc: RunningService;
  let ds: DataSource;
  let pki: TestPki;
  let processor: FactProcessor;
  let requested: OnAssignmentRequestedConsumer;
  let complete: OnChainCompleteConsumer;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadConfig(AssignmentConfigSchema, { DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '6' });
    svc = await startTestService({ service, databaseUrl, module: AppModule.forRoot(config, service), subjects: [ChainCompleteV1.subject, AssignmentRequestedV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    processor = svc.app.get(FactProcessor);
    requested = svc.app.get(OnAssignmentRequestedConsumer);
    complete = svc.app.get(OnChainCompleteConsumer);
    pki = await TestPki.create();
  });

  afterAll(async () => {
    await svc?.close();
  });

  interface Req {
    requestId: string;
    host: string;
    leaf: IssuedLeaf;
    thumbprint: string;
  }
  async function newRequest(host = `h-${randomUUID().slice(0, 8)}-${id}.example.com`): Promise<Req> {
    const leaf = await pki.leafFor({ host, eku: ['serverAuth', 'clientAuth'] });
    return { requestId: randomUUID(), host, leaf, thumbprint: thumbprintSha1(leaf.certificate) };
  }
  const chainComplete = (r: Req, thumbprint = r.thumbprint) =>
    createEvent(ChainCompleteV1, { requestId: r.requestId, thumbprint, path: [thumbprint] }, { source: 'certflow/test', subject: r.requestId });
  const assignmentRequested = (r: Req) =>
    createEvent(
      AssignmentRequestedV1,
      { requestId: r.requestId, host: r.host, usages: ALL, thumbprint: r.thumbprint, certificate: r.leaf.pem, chain: [pki.intermediate.pem], by: 'auto' },
      { source: 'certflow/test', subject: r.requestId },
    );
  const batchOf = (events: CloudEvent[]): FactBatch => ({ deliveries: events.map((e) => ({ payload: JSON.parse(JSON.stringify(e)), deliveryCount: 1 })) });
  const acks = (n: number) => Array.from({ length: n }, () => ({ action: 'ack' }));
  const historyOf = (requestId: string) => ds.query(`SELECT host, usage, thumbprint, replaced_thumbprint FROM binding_history WHERE request_id = $1 ORDER BY id`, [requestId]);
  const assignedEvents = (r: Req) => svc.log.of(CertificateAssignedV1, (d) => d.requestId === r.requestId);

  it('runs as the service\'s runtime role, which may take the advisory locks the handlers serialise on', async () => {
    const [{ user }] = await ds.query('SELECT current_user AS user');
    expect(user).not.toBe('postgres');
    await ds.transaction((m) => m.query(`SELECT pg_advisory_xact_lock(hashtext('assignment:' || $1::text))`, ['probe']));
  });

  describe('when assignment.requested comes before chain.complete', () => {
    it('records the wanted assignment and binds nothing, then binds it once when chain.complete comes', async () => {
      const r = await newRequest();
      expect(await processor.process(batchOf([assignmentRequested(r), assignmentRequested(r)]), requested)).toEqual(acks(2));
      expect(await ds.query(`SELECT 1 FROM binding WHERE host = $1`, [r.host])).toHaveLength(0);
      expect(await ds.query(`SELECT thumbprint, bound_at FROM assignment_wanted WHERE request_id = $1`, [r.requestId])).toEqual([{ thumbprint: r.thumbprint, bound_at: null }]);

      expect(await processor.process(batchOf([chainComplete(r)]), complete)).toEqual(acks(1));
      const assigned = await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === r.requestId);
      expect(assigned.data).toMatchObject({ host: r.host, usages: ALL, thumbprint: r.thumbprint, notBound: [] });
      expect(await historyOf(r.requestId)).toHaveLength(3);
      expect((await ds.query(`SELECT bound_at FROM assignment_wanted WHERE request_id = $1`, [r.requestId]))[0].bound_at).not.toBeNull();

      // Both facts again (new ids): a duplicate request and a repeated chain.complete bind nothing more.
      await processor.process(batchOf([chainComplete(r)]), complete);
      await processor.process(batchOf([assignmentRequested(r)]), requested);
      await sleep(300);
      expect(assignedEvents(r)).toHaveLength(1);
      expect(await historyOf(r.requestId)).toHaveLength(3);
    });
  });

  describe('an assignment that waits for its chain.complete', () => {
    it('shows in the waiting gauges until chain.complete binds it', async () => {
      const waiting = async () => (await assignmentsWaiting.get()).values[0].value;
      const before = await waiting();
      const r = await newRequest();
      await processor.process(batchOf([assignmentRequested(r)]), requested);
      expect(await waiting()).toBe(before + 1);
      await sleep(20);
      expect((await oldestAssignmentWaitSeconds.get()).values[0].value).toBeGreaterThan(0);
      await processor.process(batchOf([chainComplete(r)]), complete);
      expect(await waiting()).toBe(before);
    });
  });

  describe('when chain.complete comes before assignment.requested', () => {
    it('binds at once when asked, once', async () => {
      const r = await newRequest();
      await processor.process(batchOf([chainComplete(r)]), complete);
      expect(await ds.query(`SELECT 1 FROM binding WHERE host = $1`, [r.host])).toHaveLength(0);
      expect(await processor.process(batchOf([assignmentRequested(r), assignmentRequested(r)]), requested)).toEqual(acks(2));
      await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === r.requestId);
      await sleep(300);
      expect(assignedEvents(r)).toHaveLength(1);
      expect(await historyOf(r.requestId)).toHaveLength(3);
      expect(await ds.query(`SELECT 1 FROM assignment_wanted WHERE request_id = $1`, [r.requestId])).toHaveLength(0);
    });
  });

  describe('when chain.complete names another certificate than the one asked for', () => {
    it('never binds the wanted one under it, and binds it when its own chain.complete comes', async () => {
      const r = await newRequest();
      const other = await newRequest(r.host);
      await processor.process(batchOf([assignmentRequested(r)]), requested);
      expect(await processor.process(batchOf([chainComplete(r, other.thumbprint)]), complete)).toEqual(acks(1));
      await sleep(300);
      expect(assignedEvents(r)).toHaveLength(0);
      expect(svc.log.of(RequestFailedV1, (d) => d.requestId === r.requestId)).toHaveLength(0);
      expect(await ds.query(`SELECT 1 FROM binding WHERE host = $1`, [r.host])).toHaveLength(0);

      await processor.process(batchOf([chainComplete(r)]), complete);
      const assigned = await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === r.requestId);
      expect(assigned.data.thumbprint).toBe(r.thumbprint);
    });
  });

  describe('when one batch binds the same host twice', () => {
    it('lets the later request win and keeps both in the history, in order', async () => {
      const first = await newRequest();
      const second = await newRequest(first.host);
      await processor.process(batchOf([chainComplete(first), chainComplete(second)]), complete);
      expect(await processor.process(batchOf([assignmentRequested(first), assignmentRequested(second)]), requested)).toEqual(acks(2));

      const bindings = await ds.query(`SELECT usage, thumbprint, request_id FROM binding WHERE host = $1 ORDER BY usage`, [first.host]);
      expect(bindings).toEqual(ALL.map((usage) => ({ usage, thumbprint: second.thumbprint, request_id: second.requestId })).sort((a, b) => a.usage.localeCompare(b.usage)));
      const history = await ds.query(`SELECT thumbprint, replaced_thumbprint FROM binding_history WHERE host = $1 ORDER BY id`, [first.host]);
      expect(history).toEqual([
        ...ALL.map(() => ({ thumbprint: first.thumbprint, replaced_thumbprint: null })),
        ...ALL.map(() => ({ thumbprint: second.thumbprint, replaced_thumbprint: first.thumbprint })),
      ]);
    });

    it('does the same when the two are bound by one batch of chain.complete', async () => {
      const first = await newRequest();
      const second = await newRequest(first.host);
      await processor.process(batchOf([assignmentRequested(first), assignmentRequested(second)]), requested);
      await processor.process(batchOf([chainComplete(first), chainComplete(second)]), complete);
      const history = await ds.query(`SELECT thumbprint, replaced_thumbprint FROM binding_history WHERE host = $1 ORDER BY id`, [first.host]);
      expect(history.map((h: { thumbprint: string }) => h.thumbprint)).toEqual([...ALL.map(() => first.thumbprint), ...ALL.map(() => second.thumbprint)]);
      expect(history.slice(3).every((h: { replaced_thumbprint: string }) => h.replaced_thumbprint === first.thumbprint)).toBe(true);
    });
  });

  describe('when both facts of many requests arrive at once, in two concurrent batches', () => {
    it('binds each request exactly once, with one event each', async () => {
      const reqs = await Promise.all(Array.from({ length: 24 }, () => newRequest()));
      // Half the requests share hosts pairwise, so the batches also contend for bindings.
      for (let i = 1; i < reqs.length; i += 4) reqs[i] = { ...(await newRequest(reqs[i - 1].host)) };
      for (let round = 0; round < 2; round++) {
        const part = reqs.slice(round * 12, round * 12 + 12);
        const [a, b] = await Promise.all([
          processor.process(batchOf(part.map(assignmentRequested)), requested),
          processor.process(batchOf([...part].reverse().map((r) => chainComplete(r))), complete),
        ]);
        expect([...a, ...b]).toEqual(acks(24));
      }
      const rows = await ds.query(`SELECT request_id, count(*)::int AS n FROM binding_history WHERE request_id = ANY ($1) GROUP BY request_id`, [reqs.map((r) => r.requestId)]);
      expect(rows).toHaveLength(24);
      expect(rows.every((r: { n: number }) => r.n === 3)).toBe(true);
      for (const r of reqs) await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === r.requestId);
      await sleep(300);
      expect(reqs.map((r) => assignedEvents(r).length)).toEqual(reqs.map(() => 1));
    });
  });
});
