import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TestPki } from '@certflow/testing';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from '../harness';
import { cliEnv, runCli } from '../cli.helpers';

jest.setTimeout(180_000);

/**
 * Access control through the public API with all four services running: token lifecycle, roles,
 * a requester's host patterns, the audit log, and no secret in any service's log.
 */
describe('access: tokens, roles, audit (four services, real PostgreSQL and NATS)', () => {
  const caKey = randomBytes(32).toString('hex');
  let cf: Certflow;
  const secrets: string[] = [];
  const tok: Record<'viewer' | 'trust' | 'requester', { id: string; secret: string }> = {} as never;

  const create = async (json: unknown, token?: string) => {
    const r = await cf.api('/api/v1/tokens', { method: 'POST', json, token });
    if (r.status === 201) secrets.push(r.body.secret);
    return r;
  };
  const audit = async (query: string, token?: string) => cf.api(`/api/v1/audit${query}`, { token });
  const waitForAudit = async (query: string, until: (items: any[]) => boolean): Promise<any[]> => {
    const end = Date.now() + 15_000;
    let items: any[] = [];
    while (Date.now() < end) {
      items = (await audit(query)).body.items;
      if (until(items)) return items;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`audit ${query} never matched; last: ${JSON.stringify(items)}`);
  };

  beforeAll(async () => {
    cf = await startCertflow({ env: { CERTFLOW_CA_KEY: caKey } });
    for (const [key, json] of [
      ['viewer', { name: 'ops-viewer', role: 'viewer' }],
      ['trust', { name: 'pki-team', role: 'trust-admin' }],
      ['requester', { name: 'web-ci', role: 'requester', hosts: ['*.web.example.com'] }],
    ] as const) {
      const r = await create(json);
      expect(r.status).toBe(201);
      tok[key] = { id: r.body.id, secret: r.body.secret };
    }
  });
  afterAll(async () => {
    await cf?.stop();
  });

  describe('when an admin manages tokens', () => {
    it('shows the secret once at creation, and never in the list or the database', async () => {
      const list = await cf.api('/api/v1/tokens');
      expect(list.status).toBe(200);
      expect(list.body.items.map((t: any) => t.name)).toEqual(expect.arrayContaining(['ops-viewer', 'pki-team', 'web-ci']));
      const text = JSON.stringify(list.body);
      for (const s of secrets) expect(text).not.toContain(s);
      for (const t of list.body.items) expect(Object.keys(t).sort()).toEqual(['createdAt', 'createdBy', 'hosts', 'id', 'lastUsedAt', 'name', 'revokedAt', 'revokedBy', 'role']);
      expect(list.body.items.find((t: any) => t.name === 'web-ci')).toMatchObject({ role: 'requester', hosts: ['*.web.example.com'], createdBy: 'admin', revokedAt: null });

      const pg = new Client({ connectionString: cf.databaseUrl });
      await pg.connect();
      try {
        const rows = (await pg.query('SELECT * FROM request.api_token')).rows;
        const dump = JSON.stringify(rows);
        for (const s of secrets) expect(dump).not.toContain(s);
        const digests = rows.map((r) => (r.secret_sha256 as Buffer).toString('hex')).sort();
        expect(digests).toEqual(secrets.map((s) => createHash('sha256').update(s).digest('hex')).sort());
      } finally {
        await pg.end();
      }
    });

    it('refuses bad input with stable codes', async () => {
      expect((await create({ name: 'x', role: 'root' })).body.error.code).toBe('UNKNOWN_ROLE');
      expect((await create({ name: 'x', role: 'requester' })).body.error.code).toBe('HOSTS_REQUIRED');
      expect((await create({ name: 'x', role: 'requester', hosts: ['*.com'] })).body.error.code).toBe('INVALID_HOST_PATTERN');
      expect((await create({ name: 'bad name', role: 'viewer' })).body.error.code).toBe('INVALID_TOKEN_NAME');
      const dup = await create({ name: 'ops-viewer', role: 'viewer' });
      expect([dup.status, dup.body.error.code]).toEqual([409, 'TOKEN_NAME_TAKEN']);
      expect((await cf.api('/api/v1/tokens/not-a-uuid', { method: 'DELETE' })).status).toBe(404);
    });

    it('lets only admin manage tokens', async () => {
      for (const t of [tok.viewer, tok.trust, tok.requester]) {
        const r = await create({ name: 'sneaky', role: 'admin' }, t.secret);
        expect([r.status, r.body.error.code]).toEqual([403, 'FORBIDDEN']);
        expect(r.body.error.message).toContain('admin');
        expect((await cf.api('/api/v1/tokens', { token: t.secret })).status).toBe(403);
      }
    });
  });

  describe('when a token is unknown or missing', () => {
    it('answers 401', async () => {
      expect((await cf.api('/api/v1/requests', { token: null })).status).toBe(401);
      expect((await cf.api('/api/v1/requests', { token: 'cft_' + randomBytes(32).toString('base64url') })).status).toBe(401);
    });
  });

  describe('when each role calls the API', () => {
    it('lets every role read, including issuers, counts and the event stream', async () => {
      // The requester's stream follows once the stream filters by host (the route says so with `host: 'filtered'`).
      for (const t of [tok.viewer, tok.trust]) {
        for (const path of ['/api/v1/requests', '/api/v1/requests/counts', '/api/v1/issuers', '/api/v1/trust/roots', '/api/v1/hosts/a.web.example.com/assignments']) {
          expect([path, (await cf.api(path, { token: t.secret })).status]).toEqual([path, 200]);
        }
        const ac = new AbortController();
        const sse = await fetch(`${cf.baseUrl}/api/v1/events/stream`, { headers: { authorization: `Bearer ${t.secret}` }, signal: ac.signal });
        expect(sse.status).toBe(200);
        ac.abort();
      }
      for (const path of ['/api/v1/requests', '/api/v1/requests/counts', '/api/v1/issuers', '/api/v1/trust/roots', '/api/v1/hosts/a.web.example.com/assignments']) {
        expect([path, (await cf.api(path, { token: tok.requester.secret })).status]).toEqual([path, 200]);
      }
      const anon = await fetch(`${cf.baseUrl}/api/v1/events/stream`);
      expect(anon.status).toBe(401);
    });

    it('keeps viewer and trust-admin from requesting, and viewer and requester from the trust stores', async () => {
      const csr = opensslCsr('a.web.example.com', ['a.web.example.com']);
      for (const t of [tok.viewer, tok.trust]) {
        const r = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'a.web.example.com', csr }, token: t.secret });
        expect([r.status, r.body.error.code]).toEqual([403, 'FORBIDDEN']);
      }
      const pki = await TestPki.create();
      for (const t of [tok.viewer, tok.requester]) {
        const r = await cf.api('/api/v1/trust/roots', { method: 'POST', json: { pem: pki.root.pem }, token: t.secret });
        expect([r.status, r.body.error.code]).toEqual([403, 'FORBIDDEN']);
        expect(r.body.error.message).toContain('trust-admin');
      }
      expect((await audit('', tok.requester.secret)).status).toBe(403);
      expect((await audit('', tok.viewer.secret)).status).toBe(200);
      expect((await audit('', tok.trust.secret)).status).toBe(200);
    });
  });

  describe('when a requester asks for certificates', () => {
    it('may request, assign and is audited for hosts matching its patterns only', async () => {
      const own = await cf.api('/api/v1/requests', {
        method: 'POST',
        json: { host: 'a.web.example.com', csr: opensslCsr('a.web.example.com', ['a.web.example.com']), autoAssign: false },
        token: tok.requester.secret,
      });
      expect(own.status).toBe(201);

      const other = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'db01.corp.example.com', csr: opensslCsr('db01.corp.example.com', ['db01.corp.example.com']) }, token: tok.requester.secret });
      expect([other.status, other.body.error.code]).toEqual([403, 'HOST_NOT_ALLOWED']);
      expect(other.body.error.message).toContain('*.web.example.com');
      const smuggled = await cf.api('/api/v1/requests', {
        method: 'POST',
        json: { host: 'b.web.example.com', csr: opensslCsr('b.web.example.com', ['b.web.example.com', 'login.bank.example.org']) },
        token: tok.requester.secret,
      });
      expect([smuggled.status, smuggled.body.error.code]).toEqual([403, 'HOST_NOT_ALLOWED']);
      expect(smuggled.body.error.message).toContain('login.bank.example.org');

      // Somebody else's request: as if it did not exist, to read and to assign.
      const foreign = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'db01.corp.example.com', csr: opensslCsr('db01.corp.example.com', ['db01.corp.example.com']), autoAssign: false } });
      expect(foreign.status).toBe(201);
      await waitForRequest(cf, foreign.body.id, (v) => v.state === 'ASSIGNABLE');
      const unseen = await cf.api(`/api/v1/requests/${foreign.body.id}`, { token: tok.requester.secret });
      expect([unseen.status, unseen.body.error.code]).toEqual([404, 'REQUEST_NOT_FOUND']);
      const refused = await cf.api(`/api/v1/requests/${foreign.body.id}/assign`, { method: 'POST', json: {}, token: tok.requester.secret });
      expect([refused.status, refused.body.error.code]).toEqual([404, 'REQUEST_NOT_FOUND']);

      await waitForRequest(cf, own.body.id, (v) => v.state === 'ASSIGNABLE');
      const assign = await cf.api(`/api/v1/requests/${own.body.id}/assign`, { method: 'POST', json: {}, token: tok.requester.secret });
      expect(assign.status).toBe(202);
      await waitForRequest(cf, own.body.id, (v) => v.state === 'ASSIGNED');
      const entries = await waitForAudit('?kind=certificate.assigned', (items) => items.some((e) => e.subject === own.body.id));
      expect(entries.find((e) => e.subject === own.body.id)).toMatchObject({ actor: 'web-ci', details: { host: 'a.web.example.com' } });
      expect(entries.some((e) => e.subject === foreign.body.id)).toBe(false);
    });
  });

  describe('when autoAssign binds a certificate', () => {
    it('records the assignment with actor "auto"', async () => {
      const r = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'auto01.web.example.com', csr: opensslCsr('auto01.web.example.com', ['auto01.web.example.com']) } });
      expect(r.status).toBe(201);
      await waitForRequest(cf, r.body.id, (v) => v.state === 'ASSIGNED');
      const entries = await waitForAudit('?actor=auto', (items) => items.some((e) => e.subject === r.body.id));
      expect(entries.find((e) => e.subject === r.body.id)).toMatchObject({ kind: 'certificate.assigned', details: { host: 'auto01.web.example.com' } });
    });
  });

  describe('when a trust-admin changes a trust store', () => {
    it('records the import and the removal with its token name, readable page by page', async () => {
      const pki = await TestPki.create({ rootSubject: 'CN=access e2e Root' });
      const imported = await cf.api('/api/v1/trust/roots', { method: 'POST', json: { pem: pki.root.pem }, token: tok.trust.secret });
      expect(imported.status).toBe(201);
      const [thumbprint] = imported.body.imported;
      const removed = await cf.api(`/api/v1/trust/roots/${thumbprint}`, { method: 'DELETE', token: tok.trust.secret });
      expect(removed.status).toBe(200);

      const mine = await waitForAudit('?actor=pki-team', (items) => items.length >= 2);
      expect(mine.map((e) => [e.kind, e.subject, e.details.store])).toEqual([
        ['trust.removed', thumbprint, 'roots'],
        ['trust.imported', thumbprint, 'roots'],
      ]);
      const first = await audit('?actor=pki-team&limit=1', tok.viewer.secret);
      expect(first.body.items).toEqual([mine[0]]);
      const second = await audit(`?actor=pki-team&limit=1&cursor=${first.body.nextCursor}`, tok.viewer.secret);
      expect(second.body.items).toEqual([mine[1]]);
      expect(second.body.nextCursor).toBeNull();
      expect((await audit('?kind=nope')).body.error.code).toBe('INVALID_KIND');
      expect((await audit('?cursor=zzz')).body.error.code).toBe('INVALID_CURSOR');
      expect((await audit('?actor=a&actor=b')).body.error.code).toBe('INVALID_QUERY');
      expect((await cf.api('/api/v1/dead-letters?consumer=a&consumer=b')).body.error.code).toBe('INVALID_QUERY');
    });
  });

  describe('when a token is revoked', () => {
    it('gets 401 at once, and creation and revocation are in the audit log', async () => {
      expect((await cf.api('/api/v1/requests', { token: tok.viewer.secret })).status).toBe(200);
      const revoked = await cf.api(`/api/v1/tokens/${tok.viewer.id}`, { method: 'DELETE' });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: tok.viewer.id, revokedBy: 'admin' });
      expect(revoked.body.revokedAt).not.toBeNull();
      const after = await cf.api('/api/v1/requests', { token: tok.viewer.secret });
      expect([after.status, after.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
      // lastUsedAt is kept (to the minute) for tokens that called the API.
      const listed = (await cf.api('/api/v1/tokens')).body.items;
      expect(listed.find((t: any) => t.name === 'pki-team').lastUsedAt).not.toBeNull();
      // The name is free again once its token is revoked.
      expect((await create({ name: 'ops-viewer', role: 'viewer' })).status).toBe(201);

      const tokenEntries = (await audit(`?actor=admin&limit=500`)).body.items.filter((e: any) => e.subject === tok.viewer.id);
      expect(tokenEntries.map((e: any) => e.kind)).toEqual(['token.revoked', 'token.created']);
      // Append-only in the database too.
      const pg = new Client({ connectionString: cf.databaseUrl });
      await pg.connect();
      try {
        await expect(pg.query('DELETE FROM request.audit_entry')).rejects.toThrow(/append-only/);
        await expect(pg.query(`UPDATE request.audit_entry SET actor = 'someone'`)).rejects.toThrow(/append-only/);
      } finally {
        await pg.end();
      }
    });
  });

  describe('when an operator uses `certflow tokens`', () => {
    it('creates (secret alone on stdout), lists and revokes', async () => {
      const env = cliEnv(cf);
      const created = await runCli(['tokens', 'create', 'cli-req', '--role', 'requester', '--host', '*.cli.example.com', '--host', 'one.example.com'], env);
      expect([created.code, created.stderr]).toEqual([0, expect.stringContaining('not shown again')]);
      const secret = created.stdout.trim();
      secrets.push(secret);
      expect(secret).toMatch(/^cft_[A-Za-z0-9_-]{43}$/);
      expect((await cf.api('/api/v1/requests/counts', { token: secret })).status).toBe(200);

      const listed = await runCli(['tokens', 'list', '--json'], env);
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toContain(secret);
      const row = JSON.parse(listed.stdout).items.find((t: any) => t.name === 'cli-req');
      expect(row).toMatchObject({ role: 'requester', hosts: ['*.cli.example.com', 'one.example.com'] });

      expect((await runCli(['tokens', 'revoke', row.id], env)).code).toBe(0);
      expect((await cf.api('/api/v1/requests/counts', { token: secret })).status).toBe(401);
      // A trust-admin token cannot manage tokens: exit 6 (no or bad token), the API's message on stderr.
      const refused = await runCli(['tokens', 'list'], cliEnv(cf, { CERTFLOW_TOKEN: tok.trust.secret }));
      expect(refused.code).toBe(6);
      expect(refused.stderr).toContain('admin');
    });
  });

  describe('after all of the above', () => {
    it('no service log line contains the admin token, a token secret or CERTFLOW_CA_KEY', async () => {
      // A wrong token that looks real is refused, and must not be logged either.
      const probe = 'cft_' + randomBytes(32).toString('base64url');
      expect((await cf.api('/api/v1/requests', { token: probe })).status).toBe(401);
      await new Promise((r) => setTimeout(r, 500));
      const forbidden = [cf.token, caKey, Buffer.from(caKey, 'hex').toString('base64'), probe, ...secrets];
      let lines = 0;
      for (const [service, chunks] of cf.logs) {
        const text = chunks.join('');
        lines += text.split('\n').length;
        for (const s of forbidden) {
          if (text.includes(s)) throw new Error(`${service} logged a secret (${s.slice(0, 6)}…)`);
        }
      }
      // The check means something only if the services did log.
      expect(lines).toBeGreaterThan(20);
    });
  });
});
