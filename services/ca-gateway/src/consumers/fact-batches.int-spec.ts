import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CertificateIssuedV1, CertificateUploadedV1, createEvent, RequestSubmittedV1, type CloudEvent } from '@certflow/contracts';
import { FactProcessor, type FactBatch } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { parseCertificate, thumbprintSha1 } from '@certflow/pki';
import { runId, startTestService, testCsr, testDatabaseUrl, TestPki, TEST_NATS_URL, type RunningService } from '@certflow/testing';
import { AppModule } from '../app.module';
import { loadCaGatewayConfig } from '../config';
import { OnCertificateUploadedConsumer } from './on-certificate-uploaded.consumer';
import { OnRequestSubmittedConsumer } from './on-request-submitted.consumer';

jest.setTimeout(60_000);

/** The gateway's consumers fed whole batches, as the JetStream transport hands them over under load. */
describe('ca-gateway: batches of facts (PostgreSQL)', () => {
  const id = runId();
  const service = `ca-gateway-batch-test-${id}`;
  let svc: RunningService;
  let ds: DataSource;
  let processor: FactProcessor;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadCaGatewayConfig({ NATS_URL: TEST_NATS_URL, DATABASE_URL: databaseUrl, CERTFLOW_CA_KEY: randomBytes(32).toString('hex') } as NodeJS.ProcessEnv);
    svc = await startTestService({ service, databaseUrl, module: AppModule.forRoot(config, { service }), subjects: [RequestSubmittedV1.subject, CertificateUploadedV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    processor = svc.app.get(FactProcessor);
  });

  afterAll(async () => {
    await svc?.close();
  });

  const batchOf = (events: CloudEvent[]): FactBatch => ({ deliveries: events.map((e) => ({ payload: JSON.parse(JSON.stringify(e)), deliveryCount: 1 })) });
  const submitted = async (issuer = 'internal') => {
    const host = `srv-${randomUUID().slice(0, 8)}.corp.example.com`;
    const requestId = randomUUID();
    return createEvent(
      RequestSubmittedV1,
      { requestId, host, csr: (await testCsr({ host })).pem, usages: ['Default'], autoAssign: true, issuer },
      { source: 'certflow/request', subject: requestId },
    );
  };
  const issuedInOutbox = async (ids: string[]): Promise<CloudEvent<string, { requestId: string; thumbprint: string; issuer: string }>[]> =>
    (await ds.query(`SELECT payload FROM outbox WHERE subject = $1 AND payload->'data'->>'requestId' = ANY ($2)`, [CertificateIssuedV1.subject, ids])).map(
      (r: { payload: CloudEvent<string, { requestId: string; thumbprint: string; issuer: string }> }) => r.payload,
    );

  describe('when one batch carries a request twice under two event ids, and one event twice', () => {
    it('issues each request once and publishes one certificate.issued for it', async () => {
      const first = await submitted();
      const again = { ...first, id: randomUUID() };
      const other = await submitted();
      const order = [first, again, first, other];

      const outcomes = await processor.process(batchOf(order), svc.app.get(OnRequestSubmittedConsumer));

      expect(outcomes).toEqual(order.map(() => ({ action: 'ack' })));
      const ids = [first.data.requestId, other.data.requestId].sort();
      const rows = await ds.query('SELECT request_id, state FROM issuance WHERE request_id = ANY ($1) ORDER BY request_id', [ids]);
      expect(rows).toEqual(ids.map((request_id) => ({ request_id, state: 'issued' })));
      expect((await issuedInOutbox(ids)).map((e) => e.data.requestId).sort()).toEqual(ids);
    });
  });

  describe('when certificates are uploaded for an offline request', () => {
    it('issues the first upload, ignores a second one in the same batch, and retries one for a request not seen yet', async () => {
      const pending = await submitted('offline');
      await processor.process(batchOf([pending]), svc.app.get(OnRequestSubmittedConsumer));
      const pki = await TestPki.create();
      const uploaded = async (requestId: string) =>
        createEvent(
          CertificateUploadedV1,
          { requestId, certificate: (await pki.leafFor({ host: pending.data.host })).pem, chain: [pki.intermediate.pem], uploadedBy: 'test' },
          { source: 'certflow/request', subject: requestId },
        );
      const first = await uploaded(pending.data.requestId);
      const second = await uploaded(pending.data.requestId);
      const early = await uploaded(randomUUID());

      const outcomes = await processor.process(batchOf([first, second, early]), svc.app.get(OnCertificateUploadedConsumer));

      expect(outcomes).toEqual([{ action: 'ack' }, { action: 'ack' }, { action: 'retry', delayMs: 500, reason: `request ${early.data.requestId} has not reached the gateway yet` }]);
      const thumbprint = thumbprintSha1(parseCertificate(first.data.certificate));
      expect(await ds.query('SELECT state, thumbprint FROM issuance WHERE request_id = $1', [pending.data.requestId])).toEqual([{ state: 'issued', thumbprint }]);
      expect((await issuedInOutbox([pending.data.requestId])).map((e) => e.data)).toEqual([expect.objectContaining({ thumbprint, issuer: 'offline' })]);
    });
  });
});
