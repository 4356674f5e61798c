import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { CertificateAssignedV1, CertificateIssuedV1, CertificateRevokedV1, ChainCompleteV1, RevocationRequestedV1, createEvent, type CertificateInventoryItem } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { runId, sleep, startTestService, testCsr, testDatabaseUrl, TestPki, TEST_NATS_URL, type RunningService } from '@certflow/testing';
import { AppModule } from '../../app.module';
import { loadRequestConfig } from '../../config';
import { configureHttp } from '../../http/configure-http';
import { TokensService } from '../../access/tokens/tokens.service';
import { RequestCommandService } from '../commands/request-command.service';
import { requestFactsKit, type RequestFactsKit } from '../consumers/request-facts.test-kit';

jest.setTimeout(90_000);

const ADMIN = 'b'.repeat(32);

// The revoke route as it runs: the request service on real PostgreSQL and NATS, over HTTP with
// tokens; ca-gateway's answer published by the test as ca-gateway would.
describe('POST /api/v1/certificates/{thumbprint}/revoke (real PostgreSQL and NATS)', () => {
  const id = runId();
  let svc: RunningService;
  let ds: DataSource;
  let kit: RequestFactsKit;
  let pki: TestPki;
  let base: string;
  let http: INestApplication | undefined;
  const commands = new RequestCommandService();

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadRequestConfig({ DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_LOG_LEVEL: 'error', CERTFLOW_ISSUERS: 'internal,offline' });
    svc = await startTestService({ service: `revoke-test-${id}`, databaseUrl, module: AppModule.forRoot(config, ADMIN), subjects: [CertificateRevokedV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    kit = requestFactsKit(ds);
    pki = await TestPki.create();
    http = await NestFactory.create<INestApplication>(AppModule.forRoot(config, ADMIN), { bodyParser: false, logger: false });
    configureHttp(http, config.CERTFLOW_MAX_BODY_BYTES, config.CERTFLOW_MAX_BATCH_BODY_BYTES);
    await http.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(http.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await http?.close();
    await svc?.close();
  });

  async function assigned(issuer = 'internal'): Promise<{ requestId: string; host: string; thumbprint: string }> {
    const host = `rv-${randomUUID().slice(0, 8)}-${id}.example.com`;
    const csr = await testCsr({ host });
    const requestId = randomUUID();
    const now = new Date();
    await commands.submit(ds.manager, { type: 'Submit', at: now, id: requestId, host, usages: ['Default'], autoAssign: true, issuer, friendlyName: null, csr: csr.pem }, { idempotencyKey: null, bodyHash: null });
    const leaf = await pki.leafFor({ host, keys: csr.keys });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const chain = [pki.intermediate.pem];
    await kit.deliver([createEvent(CertificateIssuedV1, { requestId, issuer, certificate: leaf.pem, chain, thumbprint }, { source: 't', subject: requestId })]);
    await kit.deliver([createEvent(ChainCompleteV1, { requestId, thumbprint, path: [thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)] }, { source: 't', subject: requestId })]);
    await kit.deliver([
      createEvent(CertificateAssignedV1, { requestId, host, usages: ['Default'], thumbprint, certificate: leaf.pem, chain, notAfter: leaf.certificate.notAfter.toISOString() }, { source: 't', subject: requestId }),
    ]);
    return { requestId, host, thumbprint };
  }

  const call = async (method: string, path: string, token = ADMIN, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const tokenOf = async (role: 'trust-admin' | 'viewer' | 'requester', hosts?: string[]) =>
    (await http!.get(TokensService).create({ name: `${role}-${runId()}`, role, ...(hosts ? { hosts } : {}) }, 'admin')).secret;

  it('is for admin and trust-admin only: a requester of the host and a viewer get 403', async () => {
    const c = await assigned();
    const path = `/api/v1/certificates/${c.thumbprint}/revoke`;
    expect(await call('POST', path, await tokenOf('requester', [c.host]), { reason: 'keyCompromise' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await call('POST', path, await tokenOf('viewer'), { reason: 'keyCompromise' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const ok = await call('POST', path, await tokenOf('trust-admin'), { reason: 'keyCompromise' });
    expect(ok).toMatchObject({ status: 200, body: { requestId: c.requestId, thumbprint: c.thumbprint, state: 'requested', atCa: 'crl-ocsp' } });
  });

  it('answers the codes of bad input', async () => {
    const c = await assigned();
    const path = `/api/v1/certificates/${c.thumbprint.toLowerCase()}/revoke`;
    expect(await call('POST', `/api/v1/certificates/${'0'.repeat(40)}/revoke`, ADMIN, { reason: 'keyCompromise' })).toMatchObject({ status: 404, body: { error: { code: 'CERTIFICATE_NOT_FOUND' } } });
    expect(await call('POST', path, ADMIN, { reason: 'because' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REASON', message: expect.stringContaining('keyCompromise') } } });
    expect(await call('POST', path, ADMIN, { reason: 'certificateHold' })).toMatchObject({ status: 400, body: { error: { code: 'HOLD_NOT_SUPPORTED' } } });
  });

  it('publishes revocation.requested, becomes REVOKED on certificate.revoked, and the inventory finds it by issuing CA', async () => {
    const c = await assigned();
    const first = await call('POST', `/api/v1/certificates/${c.thumbprint}/revoke`, ADMIN, { reason: 'keyCompromise' });
    expect(first.status).toBe(200);
    const asked = await svc.log.waitFor(RevocationRequestedV1, (d) => d.requestId === c.requestId);
    expect(asked.data).toMatchObject({ thumbprint: c.thumbprint, reason: 'keyCompromise', issuer: 'internal', actor: 'admin' });
    const revokedAt = new Date().toISOString();
    await svc.publisher.publish(
      createEvent(CertificateRevokedV1, { requestId: c.requestId, host: c.host, thumbprint: c.thumbprint, reason: 'keyCompromise', revokedAt, atCa: 'crl-ocsp', serialNumber: '01' }, { source: 'certflow/ca-gateway', subject: c.requestId }),
    );
    let view: Record<string, any> = {};
    for (let i = 0; i < 100 && view.state !== 'REVOKED'; i++) {
      view = (await call('GET', `/api/v1/requests/${c.requestId}`)).body;
      if (view.state !== 'REVOKED') await sleep(100);
    }
    expect(view).toMatchObject({ state: 'REVOKED', revocation: { state: 'revoked', revokedAt, atCa: 'crl-ocsp', reason: 'keyCompromise' } });
    const again = await call('POST', `/api/v1/certificates/${c.thumbprint}/revoke`, ADMIN, { reason: 'superseded' });
    expect(again).toMatchObject({ status: 200, body: { reason: 'keyCompromise', state: 'revoked', requestedAt: first.body.requestedAt, revokedAt } });
    const ca = thumbprintSha1(pki.intermediate.certificate);
    const list = await call('GET', `/api/v1/certificates?issuedBy=${ca.toLowerCase()}&host=${c.host}`);
    expect((list.body.items as CertificateInventoryItem[]).map((i) => [i.requestId, i.status, i.issuedBy])).toEqual([[c.requestId, 'revoked', ca]]);
    expect((await call('GET', `/api/v1/certificates?issuedBy=${'1'.repeat(40)}&host=${c.host}`)).body.items).toEqual([]);
    expect(await call('GET', `/api/v1/certificates?issuedBy=nope`)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_THUMBPRINT' } } });
    const audit = await call('GET', `/api/v1/audit?kind=certificate.revocation-requested`);
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'admin', subject: c.thumbprint, details: expect.objectContaining({ reason: 'keyCompromise' }) })]));
  });

  it("tells that an offline issuer's certificate must be revoked at the CA by hand", async () => {
    const c = await assigned('offline');
    const res = await call('POST', `/api/v1/certificates/${c.thumbprint}/revoke`, ADMIN, { reason: 'cessationOfOperation' });
    expect(res).toMatchObject({ status: 200, body: { atCa: 'manual', message: expect.stringContaining('by hand') } });
  });
});
