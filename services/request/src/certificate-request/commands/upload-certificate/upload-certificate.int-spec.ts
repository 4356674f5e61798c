import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CertificateUploadedV1, createEvent, DeadLetterV1, RequestPendingV1, TrustUpdatedV1 } from '@certflow/contracts';
import { OutboxRelay } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { fixedClock, runId, sleep, startTestService, testCsr, testDatabaseUrl, TestPki, TEST_NATS_URL, waitUntilConsumed, type RunningService, type TestCsr } from '@certflow/testing';
import { AppModule } from '../../../app.module';
import { loadRequestConfig } from '../../../config';
import { SubmitRequestHandler } from '../submit-request/submit-request.handler';
import { UploadCertificateHandler } from './upload-certificate.handler';
import { RequestCommandService } from '../request-command.service';

jest.setTimeout(60_000);

// POST /api/v1/requests/{id}/certificate below the HTTP layer, on the running service (real
// PostgreSQL, real JetStream): an offline CA's answer is checked, then handed on as certificate.uploaded.
describe('UploadCertificateHandler (real PostgreSQL and NATS JetStream)', () => {
  const id = runId();
  const service = `request-upload-test-${id}`;
  const clock = fixedClock('2030-04-01T10:00:00Z');
  let svc: RunningService;
  let ds: DataSource;
  let pki: TestPki;
  let upload: UploadCertificateHandler;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadRequestConfig({ DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_LOG_LEVEL: 'error', CERTFLOW_ISSUERS: 'internal,offline' });
    svc = await startTestService({
      service,
      databaseUrl,
      module: AppModule.forRoot(config, 'a'.repeat(32)),
      subjects: [RequestPendingV1.subject, TrustUpdatedV1.subject, DeadLetterV1.subject],
    });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    pki = await TestPki.create();
    upload = new UploadCertificateHandler(ds, svc.app.get(OutboxRelay), clock, ['offline'], svc.app.get(RequestCommandService));
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** A request for `issuer`, made PENDING by the fact ca-gateway publishes (unless `pending` is false). */
  async function request(opts: { issuer?: string; pending?: boolean } = {}): Promise<{ requestId: string; host: string; csr: TestCsr }> {
    const host = `upload-${runId()}.example.com`;
    const csr = await testCsr({ host, names: [`alt.${host}`] });
    const { request: r } = await svc.app.get(SubmitRequestHandler).execute({ host, csr: csr.pem, issuer: opts.issuer ?? 'offline' }, undefined);
    if (opts.pending ?? true) {
      const { seq } = await svc.publisher.publish(createEvent(RequestPendingV1, { requestId: r.id, issuer: 'offline', detail: 'waiting for upload' }, { source: 'certflow/test', subject: r.id }));
      await waitUntilConsumed(svc.nc, service, RequestPendingV1.subject, seq);
    }
    return { requestId: r.id, host, csr };
  }

  const uploadsFor = async (requestId: string): Promise<number> =>
    Number((await ds.query(`SELECT count(*)::int AS n FROM outbox WHERE subject = $1 AND payload->'data'->>'requestId' = $2`, [CertificateUploadedV1.subject, requestId]))[0].n);
  const rowOf = async (requestId: string): Promise<Record<string, unknown>> => (await ds.query(`SELECT * FROM certificate_request WHERE id = $1`, [requestId]))[0];

  it("hands the CA's certificate on as certificate.uploaded, once, and leaves the request as it was", async () => {
    const r = await request();
    const before = await rowOf(r.requestId);
    const leaf = await pki.leafFor({ host: r.host, names: [`alt.${r.host}`], keys: r.csr.keys });
    clock.set('2030-04-01T10:30:00Z');
    const result = await upload.execute(r.requestId, { certificate: leaf.pem, chain: [pki.intermediate.pem, pki.root.pem] }, 'ops-token');
    expect(result).toMatchObject({ id: r.requestId, state: 'PENDING' });

    const event = await svc.log.waitFor(CertificateUploadedV1, (d) => d.requestId === r.requestId);
    expect(event.data).toEqual({ requestId: r.requestId, certificate: leaf.pem, chain: [pki.intermediate.pem, pki.root.pem], uploadedBy: 'ops-token' });
    expect(event).toMatchObject({ source: 'certflow/request', subject: r.requestId, time: '2030-04-01T10:30:00.000Z' });
    await sleep(300);
    expect(svc.log.of(CertificateUploadedV1, (d) => d.requestId === r.requestId)).toHaveLength(1);
    expect(await uploadsFor(r.requestId)).toBe(1);
    // The request moves when ca-gateway answers with certificate.issued, not before.
    expect(await rowOf(r.requestId)).toEqual(before);
  });

  describe('refuses, storing and publishing nothing', () => {
    async function refused(requestId: string, body: unknown, expected: Record<string, unknown>): Promise<void> {
      const before = await rowOf(requestId);
      await expect(upload.execute(requestId, body, 'ops-token')).rejects.toMatchObject(expected);
      expect(await uploadsFor(requestId)).toBe(0);
      expect(await rowOf(requestId)).toEqual(before);
    }

    it('a certificate for another key → 400 KEY_MISMATCH', async () => {
      const r = await request();
      const leaf = await pki.leafFor({ host: r.host, names: [`alt.${r.host}`] });
      await refused(r.requestId, { certificate: leaf.pem }, { code: 'KEY_MISMATCH', status: 400 });
    });

    it("the CSR's key but other names → 400 CERTIFICATE_NAMES_MISMATCH, saying which", async () => {
      const r = await request();
      const leaf = await pki.leafFor({ host: r.host, names: [`evil.${r.host}`], keys: r.csr.keys });
      await refused(r.requestId, { certificate: leaf.pem }, { code: 'CERTIFICATE_NAMES_MISMATCH', status: 400, details: { missing: [`alt.${r.host}`], extra: [`evil.${r.host}`] } });
    });

    it('a request that is not PENDING → 409 NOT_PENDING', async () => {
      const r = await request({ pending: false });
      const leaf = await pki.leafFor({ host: r.host, names: [`alt.${r.host}`], keys: r.csr.keys });
      await refused(r.requestId, { certificate: leaf.pem }, { code: 'NOT_PENDING', status: 409, details: { state: 'SUBMITTED' } });
    });

    it('a request of an issuer that delivers itself → 409 NOT_OFFLINE', async () => {
      const r = await request({ issuer: 'internal' });
      const leaf = await pki.leafFor({ host: r.host, names: [`alt.${r.host}`], keys: r.csr.keys });
      await refused(r.requestId, { certificate: leaf.pem }, { code: 'NOT_OFFLINE', status: 409 });
    });

    it('no certificate → 400 CERTIFICATE_MISSING; a chain of more than ten → 400 TOO_MANY_CERTIFICATES', async () => {
      const r = await request();
      await refused(r.requestId, { chain: pki.intermediate.pem }, { code: 'CERTIFICATE_MISSING' });
      const leaf = await pki.leafFor({ host: r.host, names: [`alt.${r.host}`], keys: r.csr.keys });
      await refused(r.requestId, { certificate: leaf.pem, chain: Array(11).fill(pki.intermediate.pem) }, { code: 'TOO_MANY_CERTIFICATES' });
    });

    it('an unknown request → 404 REQUEST_NOT_FOUND', async () => {
      const leaf = await pki.leafFor({ host: 'nobody.example.com' });
      for (const missing of [randomUUID(), 'not-a-uuid']) {
        await expect(upload.execute(missing, { certificate: leaf.pem }, 'ops-token')).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND', status: 404 });
      }
    });
  });
});
