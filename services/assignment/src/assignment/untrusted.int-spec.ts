import { randomUUID } from 'node:crypto';
import {
  AssignmentRequestedV1,
  CertificateAssignedV1,
  CertificateUnassignedV1,
  CertificateUntrustedV1,
  ChainBrokenV1,
  ChainCompleteV1,
  createEvent,
  type CloudEvent,
  type Usage,
} from '@certflow/contracts';
import { FactProcessor, type FactBatch } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1, type Clock } from '@certflow/pki';
import { CLOCK, loadConfig } from '@certflow/runtime';
import { runId, sleep, startTestService, testDatabaseUrl, TestPki, TEST_NATS_URL, type IssuedLeaf, type RunningService } from '@certflow/testing';
import type { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { AssignmentConfigSchema } from '../config';
import { OnAssignmentRequestedConsumer } from './consumers/on-assignment-requested.consumer';
import { OnChainBrokenConsumer } from './consumers/on-chain-broken.consumer';
import { OnChainCompleteConsumer } from './consumers/on-chain-complete.consumer';

jest.setTimeout(120_000);

const ALL: Usage[] = ['Default', 'WebServicesExternal', 'WebServicesInternal'];
const MISSING = [{ kind: 'intermediate' as const, subject: 'CN=Removed Intermediate' }];

/** chain.broken → certificate.untrusted for what is still bound, driven through the real FactProcessor and PostgreSQL. */
describe('OnChainBrokenConsumer', () => {
  const id = runId();
  const service = `assignment-untrusted-${id}`;
  let svc: RunningService;
  let ds: DataSource;
  let pki: TestPki;
  let processor: FactProcessor;
  let reportOnly: OnChainBrokenConsumer;
  let releasing: OnChainBrokenConsumer;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadConfig(AssignmentConfigSchema, { DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '6' });
    expect(config.CERTFLOW_RELEASE_UNTRUSTED).toBe(false);
    svc = await startTestService({
      service,
      databaseUrl,
      module: AppModule.forRoot(config, service),
      subjects: [ChainCompleteV1.subject, AssignmentRequestedV1.subject, ChainBrokenV1.subject],
    });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    processor = svc.app.get(FactProcessor);
    reportOnly = svc.app.get(OnChainBrokenConsumer);
    // The same handler as a service started with CERTFLOW_RELEASE_UNTRUSTED=true builds it.
    releasing = new OnChainBrokenConsumer(processor, svc.app.get<Clock>(CLOCK), { CERTFLOW_RELEASE_UNTRUSTED: true });
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
  const batchOf = (events: CloudEvent[]): FactBatch => ({ deliveries: events.map((e) => ({ payload: JSON.parse(JSON.stringify(e)), deliveryCount: 1 })) });

  /** A request whose certificate is bound to all usages of its host. */
  async function bound(host = `u-${randomUUID().slice(0, 8)}-${id}.example.com`): Promise<Req> {
    const leaf = await pki.leafFor({ host, eku: ['serverAuth', 'clientAuth'] });
    const r = { requestId: randomUUID(), host, leaf, thumbprint: thumbprintSha1(leaf.certificate) };
    const meta = { source: 'certflow/test', subject: r.requestId };
    await processor.process(
      batchOf([
        createEvent(
          AssignmentRequestedV1,
          { requestId: r.requestId, host, usages: ALL, thumbprint: r.thumbprint, certificate: leaf.pem, chain: [pki.intermediate.pem], by: 'auto' },
          meta,
        ),
      ]),
      svc.app.get(OnAssignmentRequestedConsumer),
    );
    await processor.process(batchOf([createEvent(ChainCompleteV1, { requestId: r.requestId, thumbprint: r.thumbprint, path: [r.thumbprint] }, meta)]), svc.app.get(OnChainCompleteConsumer));
    await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === r.requestId);
    return r;
  }
  const broken = (r: Req, thumbprint = r.thumbprint) =>
    createEvent(ChainBrokenV1, { requestId: r.requestId, thumbprint, missing: MISSING, removed: thumbprintSha1(pki.intermediate.certificate) }, { source: 'certflow/test', subject: r.requestId });
  const bindingsOf = (r: Req) => ds.query(`SELECT usage FROM binding WHERE request_id = $1 ORDER BY usage`, [r.requestId]);
  const untrusted = (r: Req) => svc.log.of(CertificateUntrustedV1, (d) => d.requestId === r.requestId);
  const unassigned = (r: Req) => svc.log.of(CertificateUnassignedV1, (d) => d.requestId === r.requestId);

  describe('when the certificate is still bound (default: report only)', () => {
    it('publishes certificate.untrusted once for its host and keeps the bindings', async () => {
      const r = await bound();
      const event = broken(r);
      expect(await processor.process(batchOf([event]), reportOnly)).toEqual([{ action: 'ack' }]);
      const said = await svc.log.waitFor(CertificateUntrustedV1, (d) => d.requestId === r.requestId);
      expect(said.source).toBe('certflow/assignment');
      expect(said.data).toEqual({ requestId: r.requestId, host: r.host, thumbprint: r.thumbprint, usages: ALL, missing: MISSING });
      expect(await bindingsOf(r)).toHaveLength(3);

      // The same event delivered again: the inbox has it, nothing more is said.
      await processor.process(batchOf([event]), reportOnly);
      await sleep(300);
      expect(untrusted(r)).toHaveLength(1);
      expect(unassigned(r)).toEqual([]);
    });
  });

  describe('when the certificate is not bound any more', () => {
    it('says nothing once another request took its host', async () => {
      const old = await bound();
      await bound(old.host);
      await svc.log.waitFor(CertificateUnassignedV1, (d) => d.requestId === old.requestId && d.reason === 'replaced');
      await processor.process(batchOf([broken(old)]), reportOnly);
      await sleep(300);
      expect(untrusted(old)).toEqual([]);
    });

    it('says nothing for another thumbprint than the one bound', async () => {
      const r = await bound();
      await processor.process(batchOf([broken(r, 'A'.repeat(40))]), reportOnly);
      await sleep(300);
      expect(untrusted(r)).toEqual([]);
    });
  });

  describe('when CERTFLOW_RELEASE_UNTRUSTED=true', () => {
    it('reports, releases the bindings once (reason untrusted, nothing remaining) and the watch row', async () => {
      const r = await bound();
      const event = broken(r);
      await processor.process(batchOf([event]), releasing);
      await svc.log.waitFor(CertificateUntrustedV1, (d) => d.requestId === r.requestId);
      const released = await svc.log.waitFor(CertificateUnassignedV1, (d) => d.requestId === r.requestId);
      expect(released.data).toEqual({ requestId: r.requestId, host: r.host, thumbprint: r.thumbprint, usages: ALL, reason: 'untrusted', remaining: [] });
      expect(await bindingsOf(r)).toEqual([]);
      const history = await ds.query(`SELECT release_reason FROM binding_history WHERE request_id = $1`, [r.requestId]);
      expect(history).toEqual(ALL.map(() => ({ release_reason: 'untrusted' })));
      const [watch] = await ds.query(`SELECT usages, released_at FROM certificate_watch WHERE request_id = $1`, [r.requestId]);
      expect(watch.usages).toEqual([]);
      expect(watch.released_at).not.toBeNull();

      // A second chain.broken (another event) finds nothing bound: no second report, no second release.
      await processor.process(batchOf([broken(r)]), releasing);
      await sleep(300);
      expect(untrusted(r)).toHaveLength(1);
      expect(unassigned(r)).toHaveLength(1);
    });
  });
});
