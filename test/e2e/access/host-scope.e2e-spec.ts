import { randomBytes } from 'node:crypto';
import { TestPki } from '@certflow/testing';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from '../harness';

jest.setTimeout(180_000);

/**
 * Issue 15, agents off the bus: `agent` and `requester` tokens reach their hosts only — reads
 * included — and a host's events can be followed over HTTP (cursor, long-poll). All four services.
 */
describe('host-scoped tokens and the host events feed (four services, real PostgreSQL and NATS)', () => {
  let cf: Certflow;
  const tok: Record<'agent' | 'requester' | 'viewer', string> = {} as never;
  const own = 'web01.edge.example.com';
  const other = 'db01.corp.example.com';
  let mine: { id: string; thumbprint: string };
  let theirs: { id: string; thumbprint: string };

  const submit = async (host: string, token?: string, autoAssign = true) =>
    cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: opensslCsr(host, [host]), autoAssign }, token });
  const assigned = async (host: string) => {
    const r = await submit(host);
    expect(r.status).toBe(201);
    const v = await waitForRequest(cf, r.body.id, (x) => x.state === 'ASSIGNED');
    return { id: r.body.id as string, thumbprint: v.certificate.thumbprint as string };
  };

  beforeAll(async () => {
    cf = await startCertflow({ env: { CERTFLOW_CA_KEY: randomBytes(32).toString('hex') } });
    for (const [key, json] of [
      ['agent', { name: 'web01-agent', role: 'agent', hosts: [own] }],
      ['requester', { name: 'edge-ci', role: 'requester', hosts: ['*.edge.example.com'] }],
      ['viewer', { name: 'watcher', role: 'viewer' }],
    ] as const) {
      const r = await cf.api('/api/v1/tokens', { method: 'POST', json });
      expect(r.status).toBe(201);
      tok[key] = r.body.secret;
    }
    mine = await assigned(own);
    theirs = await assigned(other);
  });
  afterAll(async () => {
    await cf?.stop();
  });

  describe('when an agent token is made', () => {
    it('needs host patterns, as a requester token does', async () => {
      const r = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'no-hosts', role: 'agent' } });
      expect([r.status, r.body.error.code]).toEqual([400, 'HOSTS_REQUIRED']);
    });
  });

  describe.each(['agent', 'requester'] as const)('when a %s token reads', (role) => {
    it('reads its host\'s request, certificate, assignments and events', async () => {
      const t = tok[role];
      expect((await cf.api(`/api/v1/requests/${mine.id}`, { token: t })).body.host).toBe(own);
      expect((await cf.api(`/api/v1/certificates/${mine.thumbprint}`, { token: t })).status).toBe(200);
      expect((await cf.api(`/api/v1/hosts/${own}/assignments`, { token: t })).status).toBe(200);
      const events = await cf.api(`/api/v1/hosts/${own}/events`, { token: t });
      expect(events.body.items.map((e: any) => e.data.requestId)).toEqual([mine.id]);
    });

    it('sees nothing of another host: its request and certificate as missing, its assignments and events refused', async () => {
      const t = tok[role];
      const request = await cf.api(`/api/v1/requests/${theirs.id}`, { token: t });
      expect([request.status, request.body.error.code]).toEqual([404, 'REQUEST_NOT_FOUND']);
      const cert = await cf.api(`/api/v1/certificates/${theirs.thumbprint}`, { token: t });
      expect([cert.status, cert.body.error.code]).toEqual([404, 'CERTIFICATE_NOT_FOUND']);
      for (const path of [`/api/v1/hosts/${other}/assignments`, `/api/v1/hosts/${other}/events`]) {
        const r = await cf.api(path, { token: t });
        expect([path, r.status, r.body.error.code]).toEqual([path, 403, 'HOST_NOT_ALLOWED']);
      }
      const list = await cf.api('/api/v1/requests?limit=500', { token: t });
      expect(list.body.items.map((v: any) => v.host)).toEqual([own]);
      expect((await cf.api('/api/v1/requests/counts', { token: t })).body.total).toBe(1);
      expect((await cf.api(`/api/v1/requests?host=${other}`, { token: t })).body.items).toEqual([]);
    });
  });

  describe('when a viewer reads', () => {
    it('still reads every host', async () => {
      expect((await cf.api(`/api/v1/requests/${theirs.id}`, { token: tok.viewer })).status).toBe(200);
      expect((await cf.api(`/api/v1/hosts/${other}/events`, { token: tok.viewer })).body.items).toHaveLength(1);
      expect((await cf.api('/api/v1/requests/counts', { token: tok.viewer })).body.total).toBeGreaterThanOrEqual(2);
    });
  });

  describe('when an agent token writes', () => {
    it('may submit for its host and not for another', async () => {
      const ok = await submit(own, tok.agent, false);
      expect(ok.status).toBe(201);
      const refused = await submit('web02.edge.example.com', tok.agent);
      expect([refused.status, refused.body.error.code]).toEqual([403, 'HOST_NOT_ALLOWED']);
      await waitForRequest(cf, ok.body.id, (v) => v.state === 'ASSIGNABLE');
      // …but not press Assign, even on its own host's request.
      const assign = await cf.api(`/api/v1/requests/${ok.body.id}/assign`, { method: 'POST', json: {}, token: tok.agent });
      expect([assign.status, assign.body.error.code]).toEqual([403, 'FORBIDDEN']);
    });

    it('may not import trust, read the trust stores, issuers, dead letters or the audit log, nor manage tokens', async () => {
      const pki = await TestPki.create();
      const imported = await cf.api('/api/v1/trust/roots', { method: 'POST', json: { pem: pki.root.pem }, token: tok.agent });
      expect([imported.status, imported.body.error.code]).toEqual([403, 'FORBIDDEN']);
      for (const path of ['/api/v1/trust/roots', '/api/v1/issuers', '/api/v1/dead-letters', '/api/v1/audit', '/api/v1/tokens']) {
        expect([path, (await cf.api(path, { token: tok.agent })).status]).toEqual([path, 403]);
      }
      // A trust-store root on no path of its host's requests is not the agent's to read.
      const imported2 = await cf.api('/api/v1/trust/roots', { method: 'POST', json: { pem: pki.root.pem } });
      expect(imported2.status).toBe(201);
      const [rootThumbprint] = imported2.body.imported;
      expect((await cf.api(`/api/v1/certificates/${rootThumbprint}`, { token: tok.agent })).status).toBe(404);
      expect((await cf.api(`/api/v1/certificates/${rootThumbprint}`, { token: tok.requester })).status).toBe(200);
    });
  });

  describe('when the host events feed is followed', () => {
    const host = 'feed01.edge.example.com';

    it('pages with the cursor, answers a long-poll as soon as an event arrives, and refuses a bad wait', async () => {
      const empty = await cf.api(`/api/v1/hosts/${host}/events`, { token: tok.requester });
      expect(empty.body).toEqual({ items: [], nextCursor: '0' });

      const first = await assigned(host);
      const page1 = await cf.api(`/api/v1/hosts/${host}/events?after=0`, { token: tok.requester });
      expect(page1.body.nextCursor).toBe('1');
      expect(page1.body.items).toHaveLength(1);
      expect(page1.body.items[0]).toMatchObject({ specversion: '1.0', type: 'certflow.certificate.assigned.v1', data: { requestId: first.id, host, thumbprint: first.thumbprint } });

      // Waiting after the last event: answered when the next one is stored, long before the 30 s.
      const started = Date.now();
      const waiting = cf.api(`/api/v1/hosts/${host}/events?after=1&wait=30`, { token: tok.requester });
      await new Promise((r) => setTimeout(r, 300));
      const second = await assigned(host);
      const page2 = await waiting;
      expect(Date.now() - started).toBeLessThan(25_000);
      expect(page2.body.items.length).toBeGreaterThan(0);
      // The second took the first one's usages over: its assignment and the first one's release
      // (two subjects, stored as each arrives) are positions 2 and 3, in either order.
      let rest = page2.body;
      for (let i = 0; i < 20 && rest.nextCursor !== '3'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        rest = (await cf.api(`/api/v1/hosts/${host}/events?after=1`, { token: tok.requester })).body;
      }
      const after1 = (await cf.api(`/api/v1/hosts/${host}/events?after=1`, { token: tok.requester })).body;
      expect(after1.nextCursor).toBe('3');
      expect(after1.items.map((e: any) => `${e.type} ${e.data.requestId}`).sort()).toEqual(
        [`certflow.certificate.assigned.v1 ${second.id}`, `certflow.certificate.unassigned.v1 ${first.id}`].sort(),
      );

      // Nothing new: a short wait answers empty with the same cursor.
      const quiet = await cf.api(`/api/v1/hosts/${host}/events?after=3&wait=1`, { token: tok.requester });
      expect(quiet.body).toEqual({ items: [], nextCursor: '3' });

      for (const [q, code] of [['wait=61', 'INVALID_WAIT'], ['wait=-1', 'INVALID_WAIT'], ['wait=abc', 'INVALID_WAIT'], ['after=x', 'INVALID_CURSOR'], ['limit=0', 'INVALID_LIMIT']]) {
        const r = await cf.api(`/api/v1/hosts/${host}/events?${q}`, { token: tok.requester });
        expect([q, r.status, r.body.error.code]).toEqual([q, 400, code]);
      }
    });
  });
});
