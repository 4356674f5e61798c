import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { CertificateAssignedV1, CertificateIssuedV1, CertificateUnassignedV1, ChainCompleteV1, DeadLetterV1, TrustUpdatedV1, createEvent, type CertificateInventoryItem } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { thumbprintSha1 } from '@certflow/pki';
import { runId, startTestService, testCsr, testDatabaseUrl, TestPki, TEST_NATS_URL, type RunningService } from '@certflow/testing';
import { AppModule } from '../../app.module';
import { loadRequestConfig } from '../../config';
import { configureHttp } from '../../http/configure-http';
import { RequestCommandService } from '../commands/request-command.service';
import { requestFactsKit, type RequestFactsKit } from '../consumers/request-facts.test-kit';
import { queryThrough } from '../persistence/certificate-request.repository';
import { expirySummary, inventoryPage, parseInventoryQuery } from './inventory.query';

jest.setTimeout(90_000);

const DAY = 86_400_000;
const ADMIN = 'a'.repeat(32);

// The inventory on real PostgreSQL (and, for the routes, the request service as it runs on real
// NATS): certificates issued with known validity through the fact handlers, then read back.
describe('the certificate inventory (real PostgreSQL and NATS)', () => {
  const id = runId();
  let svc: RunningService;
  let ds: DataSource;
  let kit: RequestFactsKit;
  let pki: TestPki;
  let base: string;
  let http: INestApplication | undefined;
  const commands = new RequestCommandService();
  const now = new Date();
  const issuer = `inv-${id}`;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadRequestConfig({ DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_LOG_LEVEL: 'error' });
    svc = await startTestService({ service: `inventory-test-${id}`, databaseUrl, module: AppModule.forRoot(config, ADMIN), subjects: [TrustUpdatedV1.subject, DeadLetterV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    kit = requestFactsKit(ds);
    pki = await TestPki.create();
    // The same module as an HTTP app (main.ts's configuration), on the same database, for the routes.
    http = await NestFactory.create<INestApplication>(AppModule.forRoot(config, ADMIN), { bodyParser: false, logger: false });
    configureHttp(http, config.CERTFLOW_MAX_BODY_BYTES, config.CERTFLOW_MAX_BATCH_BODY_BYTES);
    await http.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(http.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await http?.close();
    await svc?.close();
  });

  /** A request ASSIGNED with a certificate valid until now + `days` (issued `lifetime` days before that). */
  async function certificate(host: string, days: number, opts: { assign?: boolean } = {}): Promise<{ requestId: string; thumbprint: string }> {
    const csr = await testCsr({ host });
    const requestId = randomUUID();
    await commands.submit(ds.manager, { type: 'Submit', at: now, id: requestId, host, usages: ['Default'], autoAssign: true, issuer, friendlyName: null, csr: csr.pem }, { idempotencyKey: null, bodyHash: null });
    const notAfter = new Date(now.getTime() + days * DAY);
    const leaf = await pki.leafFor({ host, keys: csr.keys, notBefore: new Date(notAfter.getTime() - 90 * DAY), notAfter });
    const thumbprint = thumbprintSha1(leaf.certificate);
    const chain = [pki.intermediate.pem];
    const src = { source: 't', subject: requestId, time: now };
    await kit.deliver([createEvent(CertificateIssuedV1, { requestId, issuer, certificate: leaf.pem, chain, thumbprint }, src)]);
    if (opts.assign === false) return { requestId, thumbprint };
    await kit.deliver([createEvent(ChainCompleteV1, { requestId, thumbprint, path: [thumbprint, thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)] }, src)]);
    await kit.deliver([
      createEvent(CertificateAssignedV1, { requestId, host, usages: ['Default'], thumbprint, certificate: leaf.pem, chain, renewalDueAt: new Date(notAfter.getTime() - 30 * DAY).toISOString() }, src),
    ]);
    return { requestId, thumbprint };
  }

  const hostA = `a-${id}.example.com`;
  const hostB = `b-${id}.example.com`;
  let made: Record<string, { requestId: string; thumbprint: string }>;

  beforeAll(async () => {
    made = {
      expired: await certificate(hostA, -2),
      week0: await certificate(hostA, 3),
      week1: await certificate(hostB, 10),
      week1b: await certificate(hostA, 12),
      week5: await certificate(hostB, 40),
      later: await certificate(hostA, 200),
      issuedOnly: await certificate(hostB, 20, { assign: false }),
      superseded: await certificate(hostB, 5),
    };
    const s = made.superseded;
    await kit.deliver([
      createEvent(
        CertificateUnassignedV1,
        { requestId: s.requestId, host: hostB, thumbprint: s.thumbprint, usages: ['Default'], reason: 'replaced', remaining: [], replacedBy: { requestId: made.week5.requestId, thumbprint: made.week5.thumbprint } },
        { source: 't', subject: s.requestId, time: now },
      ),
    ]);
  });

  const read = (q: Record<string, string>, scope: readonly string[] | null = null) => inventoryPage(queryThrough(ds.manager), parseInventoryQuery({ issuer, ...q }), now, scope);
  const ids = (items: CertificateInventoryItem[]) => items.map((i) => i.requestId);

  it('lists every request that has a certificate, soonest notAfter first, with its status', async () => {
    const page = await read({});
    expect(ids(page.items)).toEqual([made.expired, made.week0, made.superseded, made.week1, made.week1b, made.issuedOnly, made.week5, made.later].map((m) => m.requestId));
    expect(page.nextCursor).toBeNull();
    const by = Object.fromEntries(page.items.map((i) => [i.requestId, i]));
    expect(by[made.expired.requestId]).toMatchObject({ status: 'expired', host: hostA, issuer, usages: ['Default'], requestState: 'ASSIGNED', thumbprint: made.expired.thumbprint });
    expect(by[made.superseded.requestId]).toMatchObject({ status: 'superseded', requestState: 'SUPERSEDED' });
    expect(by[made.superseded.requestId]).not.toHaveProperty('renewal');
    expect(by[made.issuedOnly.requestId]).toMatchObject({ status: 'active', requestState: 'ISSUED' });
    expect(by[made.later.requestId]).toMatchObject({ status: 'active', renewal: { state: 'scheduled' } });
    expect(by[made.week0.requestId].renewal).toMatchObject({ state: 'overdue' });
    expect(Date.parse(by[made.week1.requestId].notAfter) - Date.parse(by[made.week1.requestId].notBefore)).toBe(90 * DAY);
  });

  it('filters by host, status and expiresBefore', async () => {
    expect(ids((await read({ host: hostB.toUpperCase() })).items)).toEqual([made.superseded, made.week1, made.issuedOnly, made.week5].map((m) => m.requestId));
    expect(ids((await read({ status: 'expired' })).items)).toEqual([made.expired.requestId]);
    expect(ids((await read({ status: 'superseded' })).items)).toEqual([made.superseded.requestId]);
    expect((await read({ status: 'revoked' })).items).toEqual([]);
    const before = new Date(now.getTime() + 11 * DAY).toISOString();
    expect(ids((await read({ expiresBefore: before, status: 'active' })).items)).toEqual([made.week0, made.week1].map((m) => m.requestId));
  });

  it('pages with the cursor over more rows than the limit, each row once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await read({ limit: '3', ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(page.items));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids((await read({})).items));
  });

  it('shows a host-scoped caller only its hosts', async () => {
    expect(ids((await read({}, [hostA])).items)).toEqual([made.expired, made.week0, made.week1b, made.later].map((m) => m.requestId));
    expect((await read({}, [])).items).toEqual([]);
  });

  it('refuses bad filters with a stable code', () => {
    expect(() => parseInventoryQuery({ status: 'alive' })).toThrow(expect.objectContaining({ code: 'INVALID_STATUS', status: 400 }));
    expect(() => parseInventoryQuery({ expiresBefore: 'tomorrow' })).toThrow(expect.objectContaining({ code: 'INVALID_EXPIRES_BEFORE' }));
    expect(() => parseInventoryQuery({ expiresBefore: '2030-01-01T00:00:00' })).toThrow(expect.objectContaining({ code: 'INVALID_EXPIRES_BEFORE' }));
    expect(() => parseInventoryQuery({ limit: '1001' })).toThrow(expect.objectContaining({ code: 'INVALID_LIMIT' }));
    expect(() => parseInventoryQuery({ limit: '0' })).toThrow(expect.objectContaining({ code: 'INVALID_LIMIT' }));
    expect(() => parseInventoryQuery({ cursor: 'nope' })).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    expect(() => parseInventoryQuery({ host: ['a', 'b'] })).toThrow(expect.objectContaining({ code: 'INVALID_QUERY' }));
  });

  it('counts active certificates by week of notAfter, and the expired ones', async () => {
    const summary = await expirySummary(queryThrough(ds.manager), 90, now, [hostA, hostB]);
    expect(summary).toMatchObject({ from: now.toISOString(), days: 90, expired: 1 });
    expect(summary.weeks).toHaveLength(13);
    expect(summary.weeks[0]).toEqual({ start: now.toISOString(), end: new Date(now.getTime() + 7 * DAY).toISOString(), count: 1 });
    expect(summary.weeks.map((w) => w.count)).toEqual([1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(summary.weeks.at(-1)!.end).toBe(new Date(now.getTime() + 90 * DAY).toISOString());
  });

  describe('over HTTP', () => {
    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    it('serves the inventory and the expiry summary (not read as a thumbprint)', async () => {
      const list = await get(`/api/v1/certificates?issuer=${issuer}&limit=2`);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ items: [{ requestId: made.expired.requestId }, { requestId: made.week0.requestId }], nextCursor: expect.any(String) });
      const summary = await get('/api/v1/certificates/expiry-summary?days=14');
      expect(summary.status).toBe(200);
      expect(summary.body).toMatchObject({ days: 14, weeks: [{ count: expect.any(Number) }, { count: expect.any(Number) }] });
    });
    it('answers 400 with the code for a bad filter', async () => {
      expect(await get('/api/v1/certificates?status=alive')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_STATUS' } } });
      expect(await get('/api/v1/certificates/expiry-summary?days=999')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_DAYS' } } });
    });
  });
});
