/**
 * Issue 15, the live stream: GET /api/v1/events/stream through real HTTP, with two request-service
 * instances, real PostgreSQL and NATS. A revoked token's stream ends within seconds even when the
 * revocation is made on the other instance; streams per token are capped (429); a requester's
 * stream carries only its hosts' events.
 */
import { randomBytes } from 'node:crypto';
import { TestPki } from '@certflow/testing';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from '../harness';
import { readServerSentEvents, type StreamEvent } from '../sse.reader';

jest.setTimeout(180_000);


/** An open stream read as the console reads it (fetch with the bearer token). */
async function openStream(baseUrl: string, token: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${baseUrl}/api/v1/events/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  const seen: StreamEvent[] = [];
  let ended = false;
  let helloSeen!: () => void;
  const hello = new Promise<void>((r) => (helloSeen = r));
  const done =
    res.status !== 200
      ? Promise.resolve()
      : readServerSentEvents(res.body, (e) => {
          seen.push(e);
          if (e.event === 'hello') helloSeen();
        })
          .catch(() => undefined)
          .finally(() => (ended = true));
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: res.status === 200 ? undefined : await res.json(),
    seen,
    hello,
    done,
    get ended() {
      return ended;
    },
    close: () => ctrl.abort(),
    async until(match: (e: StreamEvent) => boolean, timeoutMs = 20_000): Promise<void> {
      const end = Date.now() + timeoutMs;
      while (!seen.some(match)) {
        if (Date.now() > end) throw new Error(`no such event on the stream; saw ${JSON.stringify(seen).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
type Stream = Awaited<ReturnType<typeof openStream>>;

describe('the live event stream (issue 15): revocation, caps, host scope', () => {
  let cf: Certflow;
  const streams: Stream[] = [];
  const open = async (token: string, instance = 0) => {
    const s = await openStream(cf.baseUrls[instance], token);
    streams.push(s);
    return s;
  };
  const createToken = async (json: unknown) => {
    const r = await cf.api('/api/v1/tokens', { method: 'POST', json });
    expect(r.status).toBe(201);
    return r.body as { id: string; secret: string };
  };

  beforeAll(async () => {
    cf = await startCertflow({
      instances: { request: 2 },
      env: { CERTFLOW_CA_KEY: randomBytes(32).toString('hex'), CERTFLOW_SSE_MAX_PER_TOKEN: '2' },
    });
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await cf?.stop();
  });

  describe('when the token of an open stream is revoked on another instance', () => {
    it('ends the stream within seconds, saying why, and the token opens no new one', async () => {
      const t = await createToken({ name: 'dashboard', role: 'viewer' });
      const stream = await open(t.secret, 1);
      expect(stream.status).toBe(200);
      await stream.hello;

      const revoked = await cf.api(`/api/v1/tokens/${t.id}`, { method: 'DELETE', instance: 0 });
      expect(revoked.status).toBe(200);
      const at = Date.now();
      await Promise.race([stream.done, new Promise((r) => setTimeout(r, 10_000))]);
      expect(stream.ended).toBe(true);
      expect(Date.now() - at).toBeLessThan(6_000);
      expect(stream.seen.at(-1)).toEqual({ event: 'closed', data: { code: 'TOKEN_REVOKED', message: expect.stringContaining('revoked') } });

      const again = await open(t.secret, 1);
      expect(again.status).toBe(401);
    });

    it('keeps the streams of other tokens open', async () => {
      const keep = await createToken({ name: 'wallboard', role: 'viewer' });
      const gone = await createToken({ name: 'laptop', role: 'viewer' });
      const kept = await open(keep.secret, 1);
      const ended = await open(gone.secret, 1);
      await Promise.all([kept.hello, ended.hello]);
      await cf.api(`/api/v1/tokens/${gone.id}`, { method: 'DELETE' });
      await Promise.race([ended.done, new Promise((r) => setTimeout(r, 10_000))]);
      expect(ended.ended).toBe(true);
      // Past two more re-checks, the other token's stream is still open.
      await new Promise((r) => setTimeout(r, 4_500));
      expect(kept.ended).toBe(false);
    });
  });

  describe('when a token opens more streams than CERTFLOW_SSE_MAX_PER_TOKEN', () => {
    it('answers 429 TOO_MANY_STREAMS saying what to do, and admits it again once one is closed', async () => {
      const t = await createToken({ name: 'scripts', role: 'viewer' });
      const [a, b] = [await open(t.secret), await open(t.secret)];
      await Promise.all([a.hello, b.hello]);
      const third = await open(t.secret);
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('TOO_MANY_STREAMS');
      expect(third.body.error.message).toMatch(/close one/);
      expect(third.body.error.details).toEqual({ limit: 'per_token', max: 2 });
      expect(third.retryAfter).toBe('5');

      // The cap is per token: another token still gets a stream.
      const other = await createToken({ name: 'other-scripts', role: 'viewer' });
      expect((await open(other.secret)).status).toBe(200);

      a.close();
      const end = Date.now() + 5_000;
      let next = await open(t.secret);
      while (next.status === 429 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        next = await open(t.secret);
      }
      expect(next.status).toBe(200);
    });
  });

  describe('when a requester token reads the stream', () => {
    it("gets its host's events, and neither another host's nor those that name no host", async () => {
      const requester = await createToken({ name: 'web-ci', role: 'requester', hosts: ['*.web.example.com'] });
      const mine = await open(requester.secret);
      const all = await open(cf.token);
      await Promise.all([mine.hello, all.hello]);

      const submit = async (host: string, token?: string) => {
        const r = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: opensslCsr(host, [host]) }, token });
        expect(r.status).toBe(201);
        return r.body.id as string;
      };
      const ownId = await submit('a.web.example.com', requester.secret);
      const otherId = await submit('db.other.example.org');
      await Promise.all([waitForRequest(cf, ownId, (v) => v.state === 'ASSIGNED'), waitForRequest(cf, otherId, (v) => v.state === 'ASSIGNED')]);
      const pki = await TestPki.create({ rootSubject: 'CN=console stream e2e Root' });
      expect((await cf.api('/api/v1/trust/roots', { method: 'POST', json: { pem: pki.root.pem } })).status).toBe(201);

      // The admin's stream saw all of it, so it was on the bus while the requester's stream was open.
      const assigned = (id: string) => (e: StreamEvent) => e.event === 'request.updated' && e.data.id === id && e.data.state === 'ASSIGNED';
      await all.until(assigned(ownId));
      await all.until(assigned(otherId));
      await all.until((e) => e.event === 'certflow' && /trust/.test(e.data.type));
      await mine.until(assigned(ownId));
      // An event that names only its request (certificate.issued) reaches the host's stream too.
      await mine.until((e) => e.event === 'certflow' && /issued/.test(e.data.type) && e.data.data.requestId === ownId);

      const text = JSON.stringify(mine.seen);
      expect(text).not.toContain(otherId);
      expect(text).not.toContain('db.other.example.org');
      expect(mine.seen.filter((e) => e.event === 'certflow' && /trust|issuer/.test(e.data.type))).toEqual([]);
      expect(mine.seen.filter((e) => e.event !== 'hello').length).toBeGreaterThan(2);
    });
  });
});
