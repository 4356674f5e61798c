import { randomUUID } from 'node:crypto';
import { AssignmentRequestedV1, CertificateAssignedV1, CertificateRevokedV1, CertificateUnassignedV1, ChainCompleteV1, createEvent, type CloudEvent, type Usage } from '@certflow/contracts';
import { FactProcessor, type FactBatch } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { loadConfig } from '@certflow/runtime';
import { runId, sleep, startTestService, testDatabaseUrl, TestPki, TEST_NATS_URL, type IssuedLeaf, type RunningService } from '@certflow/testing';
import type { DataSource } from 'typeorm';
import { AppModule } from '../../app.module';
import { AssignmentConfigSchema } from '../../config';
import { OnAssignmentRequestedConsumer } from './on-assignment-requested.consumer';
import { OnChainCompleteConsumer } from './on-chain-complete.consumer';
import { OnCertificateRevokedConsumer } from './on-certificate-revoked.consumer';

jest.setTimeout(120_000);

const ALL: Usage[] = ['Default', 'WebServicesInternal', 'WebServicesExternal'];

/**
 * certificate.revoked through the real FactProcessor and PostgreSQL, the service running (what it
 * publishes reaches NATS and the event log): every binding of the certificate released, once.
 */
describe('OnCertificateRevokedConsumer', () => {
  const id = runId();
  const service = `assignment-revoked-${id}`;
  let svc: RunningService;
  let ds: DataSource;
  let pki: TestPki;
  let processor: FactProcessor;
  let requested: OnAssignmentRequestedConsumer;
  let complete: OnChainCompleteConsumer;
  let revokedHandler: OnCertificateRevokedConsumer;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadConfig(AssignmentConfigSchema, { DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '6' });
    svc = await startTestService({ service, databaseUrl, module: AppModule.forRoot(config, service), subjects: [ChainCompleteV1.subject, AssignmentRequestedV1.subject, CertificateRevokedV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    processor = svc.app.get(FactProcessor);
    requested = svc.app.get(OnAssignmentRequestedConsumer);
    complete = svc.app.get(OnChainCompleteConsumer);
    revokedHandler = svc.app.get(OnCertificateRevokedConsumer);
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
  const batchOf = (events: CloudEvent[], deliveryCount = 1): FactBatch => ({ deliveries: events.map((e) => ({ payload: JSON.parse(JSON.stringify(e)), deliveryCount })) });
  const acks = (n: number) => Array.from({ length: n }, () => ({ action: 'ack' }));

  async function bound(host = `rv-${randomUUID().slice(0, 8)}-${id}.example.com`): Promise<Req> {
    const leaf = await pki.leafFor({ host, eku: ['serverAuth', 'clientAuth'] });
    const r = { requestId: randomUUID(), host, leaf, thumbprint: thumbprintSha1(leaf.certificate) };
    await processor.process(batchOf([createEvent(ChainCompleteV1, { requestId: r.requestId, thumbprint: r.thumbprint, path: [r.thumbprint] }, { source: 'certflow/test', subject: r.requestId })]), complete);
    await processor.process(
      batchOf([
        createEvent(
          AssignmentRequestedV1,
          { requestId: r.requestId, host, usages: ALL, thumbprint: r.thumbprint, certificate: leaf.pem, chain: [pki.intermediate.pem], by: 'auto' },
          { source: 'certflow/test', subject: r.requestId },
        ),
      ]),
      requested,
    );
    await svc.log.waitFor(CertificateAssignedV1, (d) => d.requestId === r.requestId);
    return r;
  }
  const revoked = (r: Req) =>
    createEvent(CertificateRevokedV1, { requestId: r.requestId, host: r.host, thumbprint: r.thumbprint, reason: 'keyCompromise', revokedAt: new Date().toISOString(), atCa: 'crl-ocsp' }, { source: 'certflow/test', subject: r.requestId });
  const unassigned = (r: Req) => svc.log.of(CertificateUnassignedV1, (d) => d.thumbprint === r.thumbprint);

  describe('when a bound certificate is revoked', () => {
    it('releases every binding once (reason revoked, nothing remaining), the watch row too, whatever the redeliveries', async () => {
      const r = await bound();
      const other = await bound();
      const fact = revoked(r);
      expect(await processor.process(batchOf([fact]), revokedHandler)).toEqual(acks(1));
      const released = await svc.log.waitFor(CertificateUnassignedV1, (d) => d.thumbprint === r.thumbprint);
      expect(released.data).toEqual({ requestId: r.requestId, host: r.host, thumbprint: r.thumbprint, usages: [...ALL].sort(), reason: 'revoked', remaining: [] });
      expect(await ds.query(`SELECT 1 FROM binding WHERE thumbprint = $1`, [r.thumbprint])).toHaveLength(0);
      expect(await ds.query(`SELECT usages, released_at IS NOT NULL AS released FROM certificate_watch WHERE request_id = $1`, [r.requestId])).toEqual([{ usages: [], released: true }]);

      // Redelivered (same event id), and revoked again under a new id (a second revocation fact): nothing more.
      expect(await processor.process(batchOf([fact], 2), revokedHandler)).toEqual(acks(1));
      expect(await processor.process(batchOf([{ ...fact, id: randomUUID() }, { ...fact, id: randomUUID() }]), revokedHandler)).toEqual(acks(2));
      await sleep(300);
      expect(unassigned(r)).toHaveLength(1);

      // The other host's certificate is left alone.
      expect(await ds.query(`SELECT count(*)::int AS n FROM binding WHERE thumbprint = $1`, [other.thumbprint])).toEqual([{ n: 3 }]);
      expect(unassigned(other)).toHaveLength(0);
    });

    it('publishes nothing for a certificate that is bound nowhere', async () => {
      const leaf = await pki.leafFor({ host: `none-${id}.example.com` });
      const r = { requestId: randomUUID(), host: `none-${id}.example.com`, leaf, thumbprint: thumbprintSha1(leaf.certificate) };
      expect(await processor.process(batchOf([revoked(r)]), revokedHandler)).toEqual(acks(1));
      await sleep(300);
      expect(unassigned(r)).toHaveLength(0);
    });

    it('releases two certificates revoked in one batch, each once', async () => {
      const a = await bound();
      const b = await bound();
      expect(await processor.process(batchOf([revoked(a), revoked(b), revoked(a)]), revokedHandler)).toEqual(acks(3));
      await svc.log.waitFor(CertificateUnassignedV1, (d) => d.thumbprint === b.thumbprint);
      await sleep(300);
      expect(unassigned(a)).toHaveLength(1);
      expect(unassigned(b)).toHaveLength(1);
    });
  });
});
