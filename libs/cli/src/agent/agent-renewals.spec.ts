import '@certflow/pki';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { certificateDetails, createRootCa, issueLeaf } from '@certflow/pki';
import type { ApiClient } from '../api-client';
import { CliError, EXIT } from '../exit-codes';
import { createKey } from '../key-store';
import { runAgent } from './agent-feed';
import { RENEWAL_RETRY_MS, renewalsPath, retryDelay } from './agent-renewals';

const HOST = 'a.example.com';
const THUMB = 'AB'.repeat(20);

const renewalDue = (requestId: string, o: { host?: string; rotationPolicy?: 'Always' | 'Never'; id?: string } = {}) => ({
  specversion: '1.0', id: o.id ?? `due-${requestId}`, source: 'certflow/assignment', type: 'certflow.certificate.renewal-due.v1', time: '2026-01-01T00:00:00.000Z',
  subject: requestId, datacontenttype: 'application/json',
  data: { requestId, host: o.host ?? HOST, thumbprint: THUMB, notAfter: '2026-02-01T00:00:00.000Z', usages: ['Default'], issuer: 'internal', rotationPolicy: o.rotationPolicy ?? 'Always' },
});

/**
 * The host feed, the request view and the renew route in memory. `renewOutcomes` answers the POSTs
 * in order (an error, or the state the renewal then reaches); the old request is ASSIGNED with a
 * certificate for the key in `dir`.
 */
async function fakeApi(dir: string, events: unknown[], renewOutcomes: (CliError | 'ASSIGNED' | 'FAILED')[]) {
  const ca = await createRootCa({ subject: 'CN=Agent Renew Root' });
  const { keys } = await createKey(dir, 'ec-p256');
  const leaf = await issueLeaf({ issuer: ca, publicKey: keys.publicKey, subject: `CN=${HOST}`, dnsNames: [HOST] });
  const views = new Map<string, Record<string, unknown>>();
  for (const id of ['r1', 'r2']) views.set(id, { id, host: HOST, state: 'ASSIGNED', rotationPolicy: 'Always', usages: ['Default'], certificate: certificateDetails(leaf), history: [] });
  const posts: { id: string; csr?: string }[] = [];
  const api = {
    url: 'http://api.test',
    async hostEvents(_host: string, after: string) {
      const items = events.slice(Number(after));
      return { items, nextCursor: String(Number(after) + items.length) };
    },
    async request(id: string) {
      return views.get(id);
    },
    async call(method: string, path: string, init: { json?: { csr?: string } }) {
      const id = /\/requests\/([^/]+)\/renew$/.exec(path)![1];
      posts.push({ id, csr: init.json?.csr });
      const outcome = renewOutcomes.shift() ?? 'ASSIGNED';
      if (outcome instanceof CliError) throw outcome;
      const renewalId = `${id}-renewal-${posts.length}`;
      views.set(renewalId, { id: renewalId, host: HOST, state: outcome, renewalOf: id, failure: outcome === 'FAILED' ? { message: 'CA down' } : undefined });
      return { status: 201, body: { id: renewalId, host: HOST, state: 'SUBMITTED', renewalOf: id } };
    },
  };
  return { api: api as unknown as ApiClient, posts };
}

describe('the agent and renewal-due', () => {
  let dir: string;
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'certflow-agent-renew-'));
    now = Date.parse('2026-01-01T00:00:00Z');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const run = (api: ApiClient, log: string[] = []) => runAgent(api, { host: HOST, dir, reload: {}, once: true, now: clock, random: () => 0.5, log: (l) => log.push(l) });

  describe('when a renewal-due for its host with rotationPolicy Always arrives', () => {
    it('renews once with a new key (the old kept as key.pem.prev), even when the event comes twice', async () => {
      const oldKey = () => readFileSync(join(dir, 'key.pem.prev'), 'utf8');
      const { api, posts } = await fakeApi(dir, [renewalDue('r1'), renewalDue('r1', { id: 'redelivered' })], []);
      const before = readFileSync(join(dir, 'key.pem'), 'utf8');
      await run(api);
      expect(posts.map((p) => p.id)).toEqual(['r1']);
      expect(posts[0].csr).toMatch(/BEGIN CERTIFICATE REQUEST/);
      expect(oldKey()).toBe(before);
      expect(readFileSync(join(dir, 'key.pem'), 'utf8')).not.toBe(before);

      // Later runs follow the renewal to ASSIGNED and then forget it; nothing is posted again.
      now += 10_000;
      await run(api);
      expect(JSON.parse(readFileSync(renewalsPath(dir), 'utf8'))).toMatchObject({ pending: [], done: ['r1'] });
      await run(api);
      expect(posts).toHaveLength(1);
    });
  });

  describe('when it is not the agent\'s to renew', () => {
    it.each([
      ['another host', renewalDue('r1', { host: 'b.example.com' })],
      ['rotationPolicy Never (certflow renews by itself)', renewalDue('r1', { rotationPolicy: 'Never' })],
    ])('does nothing for %s', async (_what, event) => {
      const { api, posts } = await fakeApi(dir, [event], []);
      await run(api);
      expect(posts).toEqual([]);
      expect(existsSync(join(dir, 'key.pem.prev'))).toBe(false);
    });
  });

  describe('when the renewal fails', () => {
    it('retries with backoff and jitter, with the key it already rotated, until it is assigned', async () => {
      const log: string[] = [];
      const down = new CliError('cannot reach the certflow API', EXIT.UNREACHABLE, 'API_UNREACHABLE');
      const { api, posts } = await fakeApi(dir, [renewalDue('r2')], [down, 'FAILED', 'ASSIGNED']);
      const original = readFileSync(join(dir, 'key.pem'), 'utf8');
      await run(api, log);
      expect(posts).toHaveLength(1);
      const pending = () => JSON.parse(readFileSync(renewalsPath(dir), 'utf8')).pending[0];
      // random() = 0.5 → factor 1: exactly the base the first time.
      expect(pending()).toMatchObject({ requestId: 'r2', attempts: 1, nextAt: now + RENEWAL_RETRY_MS.base });
      expect(log.join('\n')).toMatch(/renewal of r2 failed \(attempt 1\).*retrying in 30 s/);

      await run(api); // not due yet
      expect(posts).toHaveLength(1);

      now += RENEWAL_RETRY_MS.base;
      await run(api); // posted: the renewal goes FAILED
      now += 10_000;
      await run(api); // sees FAILED: second backoff step
      expect(pending().renewalId).toBeUndefined();
      expect(pending()).toMatchObject({ attempts: 2, lastError: expect.stringMatching(/FAILED: CA down/) });
      now += 2 * RENEWAL_RETRY_MS.base;
      await run(api);
      now += 10_000;
      await run(api);
      expect(posts).toHaveLength(3);
      expect(JSON.parse(readFileSync(renewalsPath(dir), 'utf8')).pending).toEqual([]);
      // Every attempt sent the same new key; the original stays in key.pem.prev.
      expect(new Set(posts.map((p) => Buffer.from(new x509.Pkcs10CertificateRequest(p.csr!).publicKey.rawData).toString('hex'))).size).toBe(1);
      expect(readFileSync(join(dir, 'key.pem.prev'), 'utf8')).toBe(original);
    });

    it('stops when the old request cannot be renewed any more', async () => {
      const gone = new CliError('request r1 is SUPERSEDED', EXIT.ERROR, 'NOT_RENEWABLE');
      const { api, posts } = await fakeApi(dir, [renewalDue('r1')], [gone]);
      await run(api);
      expect(posts).toHaveLength(1);
      expect(JSON.parse(readFileSync(renewalsPath(dir), 'utf8'))).toMatchObject({ pending: [], done: ['r1'] });
    });
  });

  it('spreads retries: base × 2^(attempts−1), capped, × [0.5, 1.5)', () => {
    expect(retryDelay(1, () => 0)).toBe(RENEWAL_RETRY_MS.base / 2);
    expect(retryDelay(3, () => 0.5)).toBe(4 * RENEWAL_RETRY_MS.base);
    expect(retryDelay(30, () => 0.999)).toBeLessThan(1.5 * RENEWAL_RETRY_MS.max);
    expect(retryDelay(30, () => 0)).toBe(RENEWAL_RETRY_MS.max / 2);
  });
});
