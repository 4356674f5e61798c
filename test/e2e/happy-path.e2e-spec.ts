import { createHash, X509Certificate } from 'node:crypto';
import { Client } from 'pg';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from './harness';

jest.setTimeout(120_000);

describe('certflow end to end (four services, real PostgreSQL and NATS)', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow();
  });
  afterAll(async () => {
    await cf?.stop();
  });

  const countRequests = async () => {
    const pg = new Client({ connectionString: cf.databaseUrl });
    await pg.connect();
    try {
      const r = await pg.query('SELECT count(*)::int AS n FROM request.certificate_request');
      const o = await pg.query('SELECT count(*)::int AS n FROM request.outbox WHERE subject = \'certflow.request.submitted.v1\'');
      return r.rows[0].n + o.rows[0].n;
    } finally {
      await pg.end();
    }
  };

  describe('when a host sends a CSR made by openssl', () => {
    it('takes it to ASSIGNED, with the thumbprint equal to the SHA-1 of the DER, bound to the three usages', async () => {
      const csr = opensslCsr('web01.corp.example.com', ['web01.corp.example.com', 'web.corp.example.com']);
      const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'web01.corp.example.com', csr } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ state: 'SUBMITTED', autoAssign: true, issuer: 'internal', usages: ['Default', 'WebServicesInternal', 'WebServicesExternal'] });

      const done = await waitForRequest(cf, created.body.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED');
      expect(done.state).toBe('ASSIGNED');
      const der = new X509Certificate(done.certificate.pem).raw;
      expect(done.thumbprint).toBe(createHash('sha1').update(der).digest('hex').toUpperCase());
      expect(done.certificate.thumbprintSha256).toBe(createHash('sha256').update(der).digest('hex').toUpperCase());
      expect(done.certificate.subjectAltNames).toEqual(expect.arrayContaining(['DNS:web01.corp.example.com', 'DNS:web.corp.example.com']));
      expect(done.certificate.extendedKeyUsage).toEqual(expect.arrayContaining(['serverAuth', 'clientAuth']));
      expect(done.validation).toMatchObject({ status: 'complete' });
      expect(done.validation.path).toHaveLength(3);
      expect(done.validation.path[0]).toBe(done.thumbprint);
      // The internal CA answers at once, so the request is never PENDING.
      expect(done.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'ISSUED', 'ASSIGNABLE', 'ASSIGNED']);

      const hosts = await cf.api('/api/v1/hosts/web01.corp.example.com/assignments');
      expect(hosts.status).toBe(200);
      for (const usage of ['Default', 'WebServicesInternal', 'WebServicesExternal']) {
        expect(hosts.body.usages[usage]).toMatchObject({ thumbprint: done.thumbprint, requestId: done.id });
      }

      const details = await cf.api(`/api/v1/certificates/${done.thumbprint.toLowerCase()}`);
      expect(details.status).toBe(200);
      expect(details.body.thumbprint).toBe(done.thumbprint);
      const bySha256 = await cf.api(`/api/v1/certificates/${done.certificate.thumbprintSha256}`);
      expect(bySha256.body.thumbprint).toBe(done.thumbprint);
    });
  });

  describe('when autoAssign is false', () => {
    it('waits in ASSIGNABLE until Assign is pressed', async () => {
      const csr = opensslCsr('app02.corp.example.com', ['app02.corp.example.com'], 'rsa');
      const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'app02.corp.example.com', csr, autoAssign: false, usages: ['WebServicesInternal'] } });
      expect(created.status).toBe(201);
      const assignable = await waitForRequest(cf, created.body.id, (v) => v.state === 'ASSIGNABLE' || v.state === 'FAILED');
      expect(assignable.state).toBe('ASSIGNABLE');
      // Nothing assigns it on its own.
      await new Promise((r) => setTimeout(r, 700));
      expect((await cf.api(`/api/v1/requests/${created.body.id}`)).body.state).toBe('ASSIGNABLE');
      expect((await cf.api('/api/v1/hosts/app02.corp.example.com/assignments')).body.usages).toEqual({});

      const assign = await cf.api(`/api/v1/requests/${created.body.id}/assign`, { method: 'POST', json: {} });
      expect(assign.status).toBe(202);
      const done = await waitForRequest(cf, created.body.id, (v) => v.state === 'ASSIGNED');
      expect(done.assignment.usages).toEqual(['WebServicesInternal']);
      const again = await cf.api(`/api/v1/requests/${created.body.id}/assign`, { method: 'POST', json: {} });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('NOT_ASSIGNABLE');
    });
  });

  describe('when a client retries with an Idempotency-Key', () => {
    it('returns the first request instead of making a second', async () => {
      const csr = opensslCsr('idem.corp.example.com', ['idem.corp.example.com']);
      const body = { host: 'idem.corp.example.com', csr };
      const first = await cf.api('/api/v1/requests', { method: 'POST', json: body, headers: { 'idempotency-key': 'key-123' } });
      const second = await cf.api('/api/v1/requests', { method: 'POST', json: body, headers: { 'idempotency-key': 'key-123' } });
      expect(first.status).toBe(201);
      expect(second.status).toBe(200);
      expect(second.body.id).toBe(first.body.id);
      const other = await cf.api('/api/v1/requests', { method: 'POST', json: { ...body, autoAssign: false }, headers: { 'idempotency-key': 'key-123' } });
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const list = await cf.api('/api/v1/requests?host=idem.corp.example.com');
      expect(list.body.items).toHaveLength(1);
    });
  });

  describe('when the caller has no valid token', () => {
    it.each([
      ['no token', null],
      ['a wrong token', 'not-the-token-at-all-0123456789'],
    ])('answers 401 with %s and changes nothing', async (_label, token) => {
      const before = await countRequests();
      const res = await cf.api('/api/v1/requests', { method: 'POST', token, json: { host: 'x.example.com', csr: opensslCsr('x.example.com', ['x.example.com']) } });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      expect((await cf.api('/api/v1/requests', { token })).status).toBe(401);
      expect(await countRequests()).toBe(before);
    });

    it('still answers /healthz and /readyz', async () => {
      expect((await cf.api('/healthz', { token: null })).status).toBe(200);
      const ready = await cf.api('/readyz', { token: null });
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toMatchObject({ postgres: true, nats: true, 'ca-gateway': true, 'trust-validation': true, assignment: true });
    });
  });

  describe('when the input is bad', () => {
    const good = () => opensslCsr('bad.corp.example.com', ['bad.corp.example.com']);
    const flipSignature = (pem: string) => {
      const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
      const der = Buffer.from(b64, 'base64');
      der[der.length - 5] ^= 0x01; // inside the signature BIT STRING
      return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    };
    const cases: [string, () => unknown, number, string][] = [
      ['a garbage CSR', () => ({ host: 'bad.corp.example.com', csr: 'hello' }), 400, 'CSR_NOT_PEM'],
      ['a CSR whose signature does not verify', () => ({ host: 'bad.corp.example.com', csr: flipSignature(good()) }), 400, 'CSR_SIGNATURE_INVALID'],
      ['a host missing from the CSR', () => ({ host: 'other.corp.example.com', csr: good() }), 400, 'HOST_NOT_IN_CSR'],
      ['an unknown usage', () => ({ host: 'bad.corp.example.com', csr: good(), usages: ['Default', 'Telepathy'] }), 400, 'UNKNOWN_USAGE'],
      ['an unknown issuer', () => ({ host: 'bad.corp.example.com', csr: good(), issuer: 'nowhere' }), 400, 'UNKNOWN_ISSUER'],
      ['an oversized body', () => ({ host: 'bad.corp.example.com', csr: good() + 'x'.repeat(400 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'],
      ['a body that is not JSON', () => '{"host": ', 400, 'INVALID_JSON'],
    ];
    it.each(cases)('refuses %s with a code and stores nothing', async (_label, body, status, code) => {
      const before = await countRequests();
      const b = body();
      const res =
        typeof b === 'string'
          ? await cf.api('/api/v1/requests', { method: 'POST', body: b, headers: { 'content-type': 'application/json' } })
          : await cf.api('/api/v1/requests', { method: 'POST', json: b });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(10);
      expect(await countRequests()).toBe(before);
    });

    it('answers 404 for a request that does not exist and 409 NOT_ASSIGNABLE never for it', async () => {
      expect((await cf.api('/api/v1/requests/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await cf.api('/api/v1/requests/00000000-0000-4000-8000-000000000000/assign', { method: 'POST', json: {} })).status).toBe(404);
    });
  });

  describe('the list', () => {
    it('pages with a cursor, newest first, without repeats', async () => {
      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: { items: { id: string; createdAt: string }[]; nextCursor: string | null } } = await cf.api(`/api/v1/requests?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        for (const item of res.body.items) {
          expect(seen.has(item.id)).toBe(false);
          seen.add(item.id);
        }
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      const all = await cf.api('/api/v1/requests?limit=500');
      expect(seen.size).toBe(all.body.items.length);
      expect(seen.size).toBeGreaterThanOrEqual(3);
      expect((await cf.api('/api/v1/requests?state=NOPE')).body.error.code).toBe('INVALID_STATE');
    });
  });

  it('serves an OpenAPI document generated from the code', async () => {
    const doc = await cf.api('/api/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/requests', '/api/v1/requests/{id}/assign', '/api/v1/certificates/{thumbprint}']));
  });
});
