import { randomBytes } from 'node:crypto';
import { garbageCsr } from '@certflow/testing';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from './harness';

jest.setTimeout(180_000);

/**
 * Issue #17: POST /api/v1/requests/batch through HTTP with the four services running. One result per
 * item; what one item lacks does not stop the others; a replay stores nothing twice.
 */
describe('POST /api/v1/requests/batch (four services, real PostgreSQL and NATS)', () => {
  let cf: Certflow;
  let requester: string;

  beforeAll(async () => {
    // A batch limit of its own, set lower than the default to test it without sending 8 MiB.
    cf = await startCertflow({ env: { CERTFLOW_CA_KEY: randomBytes(32).toString('hex'), CERTFLOW_MAX_BATCH_BODY_BYTES: String(2 * 1024 * 1024) } });
    const r = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'batch-ci', role: 'requester', hosts: ['*.batch.example.com'] } });
    expect(r.status).toBe(201);
    requester = r.body.secret;
  });
  afterAll(async () => {
    await cf?.stop();
  });

  const batch = (json: unknown, token?: string) => cf.api('/api/v1/requests/batch', { method: 'POST', json, token });
  const requestsFor = async (host: string) => (await cf.api(`/api/v1/requests?host=${host}`)).body.items as any[];

  describe('when a requester sends a good item, one with a damaged CSR and one for a host outside its token', () => {
    const good = 'web01.batch.example.com';
    const damaged = 'web02.batch.example.com';
    const foreign = 'db01.corp.example.com';
    const items = [
      { host: good, csr: opensslCsr(good, [good]), idempotencyKey: 'batch-e2e-good' },
      { host: damaged, csr: garbageCsr(), idempotencyKey: 'batch-e2e-damaged' },
      { host: foreign, csr: opensslCsr(foreign, [foreign]), idempotencyKey: 'batch-e2e-foreign' },
    ];
    let goodId: string;

    it('answers 200 with three results in order, and the good one goes on to ASSIGNED', async () => {
      const r = await batch({ items }, requester);
      expect(r.status).toBe(200);
      expect(r.body.results).toHaveLength(3);
      expect(r.body.results[0]).toMatchObject({ index: 0, status: 201, request: { host: good, state: 'SUBMITTED', history: [{ state: 'SUBMITTED' }] } });
      expect(r.body.results[1]).toEqual({ index: 1, status: 400, error: { code: 'CSR_UNPARSABLE', message: expect.any(String) } });
      expect(r.body.results[2]).toMatchObject({ index: 2, status: 403, error: { code: 'HOST_NOT_ALLOWED', details: { refused: [foreign] } } });
      goodId = r.body.results[0].request.id;
      const done = await waitForRequest(cf, goodId, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 60_000);
      expect(done.state).toBe('ASSIGNED');
      expect(await requestsFor(damaged)).toEqual([]);
      expect(await requestsFor(foreign)).toEqual([]);
    });

    it('answers a replay of the whole batch with the same request and the same refusals, storing nothing twice', async () => {
      const r = await batch({ items }, requester);
      expect(r.status).toBe(200);
      expect(r.body.results.map((x: any) => [x.status, x.request?.id ?? x.error.code])).toEqual([
        [200, goodId],
        [400, 'CSR_UNPARSABLE'],
        [403, 'HOST_NOT_ALLOWED'],
      ]);
      // The replay shows the request as it is now, history and all.
      expect(r.body.results[0].request).toMatchObject({ state: 'ASSIGNED', history: expect.arrayContaining([{ state: 'ASSIGNED', at: expect.any(String), reason: expect.any(String) }]) });
      expect((await requestsFor(good)).map((v) => v.id)).toEqual([goodId]);
    });
  });

  it('refuses the whole call with 1001 items (400 TOO_MANY_ITEMS), even when the body is larger than a single request may be', async () => {
    const host = 'many.batch.example.com';
    const item = { host, csr: opensslCsr(host, [host]) };
    const body = { items: Array.from({ length: 1001 }, () => item) };
    // Over the general 256 KiB limit: the batch route reads bodies up to its own limit.
    expect(JSON.stringify(body).length).toBeGreaterThan(256 * 1024);
    const r = await batch(body);
    expect([r.status, r.body.error.code]).toEqual([400, 'TOO_MANY_ITEMS']);
    expect(r.body.error.details).toEqual({ items: 1001, max: 1000 });
    expect(await requestsFor(host)).toEqual([]);
  });

  it('refuses a body over CERTFLOW_MAX_BATCH_BODY_BYTES with 413 PAYLOAD_TOO_LARGE naming that setting', async () => {
    const host = 'big.batch.example.com';
    const body = { items: Array.from({ length: 1000 }, () => ({ host, csr: 'x'.repeat(2200) })) };
    expect(JSON.stringify(body).length).toBeGreaterThan(2 * 1024 * 1024);
    const r = await batch(body);
    expect([r.status, r.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(r.body.error.message).toMatch(/at most 2097152 bytes are accepted \(CERTFLOW_MAX_BATCH_BODY_BYTES; send fewer items per call\)/);
  });

  it('refuses an empty batch (400 INVALID_BODY), and keeps viewers out (403 FORBIDDEN)', async () => {
    expect((await batch({ items: [] })).body.error.code).toBe('INVALID_BODY');
    const viewer = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'batch-viewer', role: 'viewer' } });
    const host = 'v.batch.example.com';
    const r = await batch({ items: [{ host, csr: opensslCsr(host, [host]) }] }, viewer.body.secret);
    expect([r.status, r.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await cf.api('/api/openapi.json')).body;
    expect(doc.paths['/api/v1/requests/batch'].post.responses['200']).toBeDefined();
  });
});
