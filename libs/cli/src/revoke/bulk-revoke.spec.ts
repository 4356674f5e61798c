import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../api-client';
import { EXIT } from '../exit-codes';
import { bulkRevoke, defaultRevokeStatePath, selectCertificates } from './bulk-revoke';

type Item = { thumbprint: string; requestId: string; host: string; issuer: string; issuedBy?: string; status: string; notAfter: string; revocation?: unknown };

const CA1 = 'C1'.repeat(20);
const CA2 = 'C2'.repeat(20);
const tp = (i: number) => i.toString(16).toUpperCase().padStart(40, '0');

/**
 * The inventory and the revoke route in memory, on a real HTTP port: paged (3 a page), filtered by
 * issuer and issuedBy (unless told to ignore the filter, as an older server would), revoking twice
 * answers the first revocation. `dropAnswerOf` revokes but breaks the connection instead of
 * answering: the CLI cannot know the outcome.
 */
async function fakeServer(items: Item[], o: { ignoreIssuedBy?: boolean; dropAnswerOf?: Set<string>; atCa?: string; unknown?: Set<string> } = {}) {
  const revoked = new Map<string, { reason: string; requestedAt: string; requestId: string }>();
  const posts: string[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const url = new URL(req.url!, 'http://x');
      const rev = /^\/api\/v1\/certificates\/([^/]+)\/revoke$/.exec(url.pathname);
      if (req.method === 'GET' && url.pathname === '/api/v1/certificates') {
        const q = url.searchParams;
        const all = items
          .map((c) => (revoked.has(c.thumbprint) ? { ...c, status: 'revoked', revocation: revoked.get(c.thumbprint) } : c))
          .filter((c) => (!q.get('issuer') || c.issuer === q.get('issuer')) && (o.ignoreIssuedBy || !q.get('issuedBy') || c.issuedBy === q.get('issuedBy')));
        const from = Number(q.get('cursor') ?? 0);
        return send(200, { items: all.slice(from, from + 3), nextCursor: from + 3 < all.length ? String(from + 3) : null });
      }
      if (req.method === 'POST' && rev) {
        const t = decodeURIComponent(rev[1]);
        posts.push(t);
        const c = items.find((x) => x.thumbprint === t);
        if (!c || o.unknown?.has(t)) return send(404, { error: { code: 'CERTIFICATE_NOT_FOUND', message: `no certificate ${t}` } });
        const body = JSON.parse(raw) as { reason: string };
        if (!revoked.has(t)) revoked.set(t, { reason: body.reason, requestedAt: new Date().toISOString(), requestId: c.requestId });
        if (o.dropAnswerOf?.delete(t)) return req.socket.destroy();
        const r = revoked.get(t)!;
        const atCa = o.atCa ?? 'crl-ocsp';
        return send(200, { ...r, thumbprint: t, state: 'requested', atCa, message: atCa === 'manual' ? 'revoke it at the CA by hand' : 'the CRL and OCSP will say revoked' });
      }
      send(404, { error: { code: 'NOT_FOUND', message: req.url } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, api: (retries = 0) => new ApiClient({ url, token: 't' } as never, { retries }), revoked, posts, close: () => new Promise((r) => server.close(r)) };
}

const fleet = (): Item[] => [
  ...Array.from({ length: 7 }, (_, i) => ({ thumbprint: tp(i + 1), requestId: `r${i + 1}`, host: `web${i + 1}.corp.example.com`, issuer: 'internal', issuedBy: CA1, status: 'active', notAfter: '2027-01-01T00:00:00.000Z' })),
  { thumbprint: tp(8), requestId: 'r8', host: 'db1.corp.example.com', issuer: 'internal', issuedBy: CA2, status: 'active', notAfter: '2027-01-01T00:00:00.000Z' },
  { thumbprint: tp(9), requestId: 'r9', host: 'web9.corp.example.com', issuer: 'acme', status: 'superseded', notAfter: '2027-01-01T00:00:00.000Z' },
];

describe('certflow bulk revoke', () => {
  let dir: string;
  let out: string[];
  let server: Awaited<ReturnType<typeof fakeServer>> | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'certflow-bulk-revoke-'));
    out = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => (out.push(String(s)), true));
    process.exitCode = undefined;
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const stateAt = () => join(dir, 'state.json');

  it('selects by issuer, issuing CA or host glob over every page; never wider than asked, even when the server ignores issuedBy', async () => {
    server = await fakeServer(fleet());
    const tps = async (s: Parameters<typeof selectCertificates>[1]) => (await selectCertificates(server!.api(), s)).map((c) => c.requestId);
    expect(await tps({ issuedBy: CA1 })).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    expect(await tps({ issuer: 'acme' })).toEqual(['r9']);
    expect(await tps({ hostGlob: 'WEB?.corp.example.com' })).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r9']);
    expect(await tps({ hostGlob: 'db*' })).toEqual(['r8']);
    expect(await tps({ hostGlob: 'mail*' })).toEqual([]);
    await server.close();
    server = await fakeServer(fleet(), { ignoreIssuedBy: true });
    expect(await tps({ issuedBy: CA2 })).toEqual(['r8']);
  });

  it('--dry-run lists what it would revoke and sends nothing', async () => {
    server = await fakeServer(fleet());
    await bulkRevoke(server.api(), { selection: { issuedBy: CA2 }, reason: 'cACompromise', dryRun: true, concurrency: 4, stateFile: stateAt() });
    expect(server.posts).toEqual([]);
    expect(existsSync(stateAt())).toBe(false);
    expect(out.join('')).toContain('db1.corp.example.com');
    expect(out.join('')).toContain('dry run: would revoke 1 certificate(s) (reason cACompromise)');
  });

  it('revokes each selected certificate once, skips those already revoked, and a second run sends nothing', async () => {
    const items = fleet();
    items[0].status = 'revoked';
    server = await fakeServer(items);
    const report = join(dir, 'report.json');
    await bulkRevoke(server.api(), { selection: { issuedBy: CA1 }, reason: 'cACompromise', concurrency: 3, stateFile: stateAt(), report });
    expect(process.exitCode).toBe(EXIT.OK);
    expect([...server.posts].sort()).toEqual([2, 3, 4, 5, 6, 7].map(tp));
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.counts).toEqual({ ALREADY_REVOKED: 1, requested: 6 });
    const state = JSON.parse(readFileSync(stateAt(), 'utf8'));
    expect(state.hosts[tp(2)]).toMatchObject({ host: 'web2.corp.example.com', requestId: 'r2', state: 'requested' });
    expect(out.join('')).toMatch(/\[\d\/6\] web\d\.corp\.example\.com [0-9A-F]{40} requested/);

    await bulkRevoke(server.api(), { selection: { issuedBy: CA1 }, reason: 'cACompromise', concurrency: 3, stateFile: stateAt() });
    expect(server.posts).toHaveLength(6);
  });

  it('resumes after a run killed mid-way: what the state file has is skipped, a lost answer is asked again and the server keeps the first', async () => {
    server = await fakeServer(fleet(), { dropAnswerOf: new Set([tp(3)]) });
    // The killed run: r1 and r2 answered and recorded; r3 reached the server, its answer was lost.
    writeFileSync(stateAt(), JSON.stringify({ version: 1, inventory: 'bulk revoke', url: server.url, hosts: {
      [tp(1)]: { state: 'requested', requestId: 'r1', updatedAt: 'x' },
      [tp(2)]: { state: 'requested', requestId: 'r2', updatedAt: 'x' },
    } }));
    await bulkRevoke(server.api(), { selection: { issuedBy: CA1 }, reason: 'keyCompromise', concurrency: 2, stateFile: stateAt() });
    expect(process.exitCode).toBe(EXIT.ERROR); // r3: no answer
    expect(server.revoked.has(tp(3))).toBe(true);
    expect(JSON.parse(readFileSync(stateAt(), 'utf8')).hosts[tp(3)].error.code).toBe('API_UNREACHABLE');

    // The same command again: the server now lists r3 as revoked (first revocation kept), r1 r2 are in the state file.
    server.revoked.delete(tp(3));
    server.revoked.set(tp(3), { reason: 'keyCompromise', requestedAt: '2026-01-01T00:00:00.000Z', requestId: 'r3' });
    const before = server.posts.length;
    process.exitCode = undefined;
    await bulkRevoke(server.api(), { selection: { issuedBy: CA1 }, reason: 'keyCompromise', concurrency: 2, stateFile: stateAt() });
    expect(server.posts.slice(before)).toEqual([]);
    expect(process.exitCode).toBe(EXIT.OK);
    expect(server.posts.filter((t) => t === tp(1) || t === tp(2))).toEqual([]);
    expect(new Set(server.posts).size).toBe(5); // r3..r7, r3 twice at most
  });

  it('a retry of an unanswered revocation returns the first one; an unknown certificate is an error line, the rest go on', async () => {
    const items = fleet();
    items.push({ ...items[0], thumbprint: tp(99), requestId: 'gone' });
    server = await fakeServer(items, { dropAnswerOf: new Set([tp(4)]), atCa: 'manual', unknown: new Set([tp(99)]) });
    // With retries the lost answer is asked again and answered (revoked once server-side).
    await bulkRevoke(server.api(3), { selection: { issuedBy: CA1 }, reason: 'superseded', concurrency: 2, stateFile: stateAt() });
    expect(server.posts.filter((t) => t === tp(4))).toHaveLength(2);
    expect(server.revoked.size).toBe(7);
    expect(process.exitCode).toBe(EXIT.ERROR);
    expect(out.join('')).toMatch(/web1\.corp\.example\.com\s+gone\s+ERROR\s+no certificate 0+63 \(CERTIFICATE_NOT_FOUND\)/);
    expect(out.join('')).toContain('7 certificate(s) from an offline issuer: revoke it at the CA by hand');
  });

  it('names its default state file after the selection, so the same command finds it', () => {
    expect(defaultRevokeStatePath({ issuedBy: CA1 })).toMatch(/^certflow-revoke-issued-by-[0-9a-f]{12}\.state\.json$/);
    expect(defaultRevokeStatePath({ issuedBy: CA1 })).toBe(defaultRevokeStatePath({ issuedBy: CA1 }));
    expect(defaultRevokeStatePath({ issuedBy: CA1 })).not.toBe(defaultRevokeStatePath({ issuedBy: CA2 }));
  });
});
