/**
 * Issue #19: `certflow bulk revoke --issued-by <CA>` of 1,000 certificates with two instances of
 * every service, a ca-gateway and a request instance killed with SIGKILL while it runs, the CLI
 * itself killed with SIGKILL and run again (then an assignment instance killed): every certificate
 * is revoked once (one certificate.revoked per thumbprint in the stream), every binding released
 * once (one certificate.unassigned, reason revoked, per certificate), no binding left, and the
 * issuing CA's CRL lists them all.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { startCertflow, type Certflow } from '@certflow/testing';
import { cliEnv, runCli, startCli } from '../cli.helpers';
import { consumerBacklog, readStream, type StreamEvent } from './faults.checks';
import { planRequests, stateCounts, waitSettled, withDb, type Planned } from './faults.helpers';

const N = Number(process.env.CERTFLOW_REVOKE_N ?? 1000);
jest.setTimeout(900_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Submits in batch calls (each item with its Idempotency-Key, so a retried call stores nothing twice). */
async function submitBatches(cf: Certflow, planned: Planned[], deadline: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < planned.length; i += 500) {
    const items = planned.slice(i, i + 500).map((p) => ({ host: p.host, csr: p.csr, idempotencyKey: `revoke-e2e-${p.host}` }));
    for (;;) {
      const r = await cf.api('/api/v1/requests/batch', { method: 'POST', json: { items } }).catch((e: Error) => ({ status: 0, body: e.message }));
      if (r.status === 200) {
        const bad = r.body.results.filter((x: any) => !x.request);
        if (bad.length) throw new Error(`batch refused items: ${JSON.stringify(bad.slice(0, 3))}`);
        ids.push(...r.body.results.map((x: any) => x.request.id));
        break;
      }
      if (Date.now() > deadline || (r.status >= 400 && r.status < 500)) throw new Error(`batch answered ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      await sleep(500);
    }
  }
  return ids;
}

/** Waits until `n` requests are REVOKED; fails when nothing moves for `stallMs`, with the backlog and the logs. */
async function waitRevoked(cf: Certflow, n: number, deadline: number, stallMs: number): Promise<Record<string, number>> {
  let best = -1;
  let movedAt = Date.now();
  let counts: Record<string, number> = {};
  while (Date.now() < deadline) {
    counts = await stateCounts(cf);
    const revoked = counts.REVOKED ?? 0;
    if (revoked >= n) return counts;
    if (revoked > best) [best, movedAt] = [revoked, Date.now()];
    else if (Date.now() - movedAt > stallMs) break;
    await sleep(500);
  }
  throw new Error(`only ${best} of ${n} requests REVOKED; counts ${JSON.stringify(counts)}\n${await consumerBacklog(cf)}\n${cf.dumpLogs(3000)}`);
}

/** Thumbprints with other than exactly one distinct event id among `events` (a republish under the same id is one). */
function notOnce(events: StreamEvent[], thumbprints: string[]): string[] {
  const ids = new Map<string, Set<string>>();
  for (const e of events) if (e.thumbprint) ids.set(e.thumbprint, (ids.get(e.thumbprint) ?? new Set()).add(e.id));
  return thumbprints.filter((t) => ids.get(t)?.size !== 1).map((t) => `${t}:${ids.get(t)?.size ?? 0}`);
}

describe('bulk revoke of 1,000 certificates by issuing CA, with kill -9 of services and of the CLI', () => {
  let cf: Certflow;
  let work: string;
  beforeAll(async () => {
    cf = await startCertflow({ instances: { request: 2, 'ca-gateway': 2, 'trust-validation': 2, assignment: 2 }, privatePostgres: true });
    work = mkdtempSync(join(tmpdir(), 'certflow-bulk-revoke-'));
  });
  afterAll(async () => {
    await cf?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('revokes each certificate once and releases each binding once', async () => {
    const started = Date.now();
    const deadline = started + 840_000;
    const planned = await planRequests(N, 'revoke');
    const ids = await submitBatches(cf, planned, deadline);
    expect(new Set(ids).size).toBe(N);
    expect(await waitSettled(cf, N, { deadline, stallMs: 90_000, explain: () => consumerBacklog(cf) })).toEqual({ ASSIGNED: N });
    const issuedAt = Date.now();

    const first = (await cf.api(`/api/v1/requests/${ids[0]}`)).body;
    const ca: string = first.validation.path[1];
    expect(ca).toMatch(/^[0-9A-F]{40}$/);

    // The CLI talks to request#1; request#0 is among the instances killed under it.
    const env = cliEnv(cf, { CERTFLOW_URL: cf.baseUrls[1] });
    const state = join(work, 'revoke.state.json');
    const args = (report: string) => ['bulk', 'revoke', '--issued-by', ca, '--reason', 'cACompromise', '--concurrency', '8', '--state', state, '--report', join(work, report)];

    const dry = await runCli(['bulk', 'revoke', '--issued-by', ca, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`dry run: would revoke ${N} certificate(s) (reason unspecified); nothing was changed`);
    expect(await stateCounts(cf)).toEqual({ ASSIGNED: N });

    const kills: string[] = [];
    const run1 = startCli(args('report-1.json'), env);
    await run1.waitFor(new RegExp(`^\\[${Math.round(N / 4)}/${N}\\] `, 'm'), 300_000);
    await cf.kill('ca-gateway', 0, 'SIGKILL');
    kills.push('ca-gateway#0');
    await run1.waitFor(new RegExp(`^\\[${Math.round(N / 2)}/${N}\\] `, 'm'), 300_000);
    run1.child.kill('SIGKILL');
    await cf.kill('request', 0, 'SIGKILL');
    kills.push('cli', 'request#0');
    expect((await run1.done).signal).toBe('SIGKILL');
    cf.startService('ca-gateway', { instance: 0 });
    cf.startService('request', { instance: 0 });
    await cf.waitReady('ca-gateway', 0);
    await cf.waitReady('request', 0);

    const recorded = Object.values(JSON.parse(readFileSync(state, 'utf8')).hosts as Record<string, { state?: string }>).filter((h) => h.state === 'requested' || h.state === 'revoked').length;
    expect(recorded).toBeGreaterThanOrEqual(Math.round(N / 2));
    expect(recorded).toBeLessThan(N);

    const run2 = startCli(args('report-2.json'), env);
    await run2.waitFor(/^\[\d+\/\d+\] /m, 120_000);
    await cf.kill('assignment', 1, 'SIGKILL');
    kills.push('assignment#1');
    const r2 = await run2.done;
    expect([r2.code, r2.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
    cf.startService('assignment', { instance: 1 });
    await cf.waitReady('assignment', 1);
    const report = JSON.parse(readFileSync(join(work, 'report-2.json'), 'utf8'));
    expect(report.total).toBe(N);
    expect(report.counts.ERROR).toBeUndefined();
    expect(report.items.filter((i: { skipped?: boolean }) => i.skipped).length).toBeGreaterThanOrEqual(recorded);

    const counts = await waitRevoked(cf, N, deadline, 90_000);
    expect(counts).toEqual({ REVOKED: N });
    const revokedIn = (Date.now() - issuedAt) / 1000;

    // The inventory agrees, and a third run has nothing left to do.
    const third = await runCli(args('report-3.json'), env);
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(new RegExp(`^${N} certificate\\(s\\) for --issued-by ${ca}: ${N} already revoked, 0 done by an earlier run, 0 to revoke`, 'm'));

    const thumbprints: string[] = (await withDb(cf, (pg) => pg.query(`SELECT thumbprint FROM request.certificate_request WHERE id = ANY($1::uuid[])`, [ids]))).rows.map((r: { thumbprint: string }) => r.thumbprint);
    expect(new Set(thumbprints).size).toBe(N);
    const events = await readStream(cf, ['certflow.revocation.requested.v1', 'certflow.certificate.revoked.v1', 'certflow.certificate.unassigned.v1']);
    const of = (subject: string) => events.filter((e) => e.subject === subject);
    expect(notOnce(of('certflow.certificate.revoked.v1'), thumbprints)).toEqual([]);
    expect(notOnce(of('certflow.revocation.requested.v1'), thumbprints)).toEqual([]);
    const released = of('certflow.certificate.unassigned.v1');
    expect(released.filter((e) => e.reason !== 'revoked')).toEqual([]);
    expect(notOnce(released, thumbprints)).toEqual([]);
    await withDb(cf, async (pg) => {
      const left = await pg.query(`SELECT count(*)::int AS n FROM assignment.binding WHERE request_id = ANY($1::text[])`, [ids]);
      expect(left.rows[0].n).toBe(0);
    });

    // The issuing CA's CRL, as the public route serves it (request#1; ca-gateway signs), lists every one of them.
    const res = await fetch(`${cf.baseUrls[1]}/pki/internal/crl`);
    expect(res.status).toBe(200);
    const der = Buffer.from(await res.arrayBuffer());
    const crl = new x509.X509Crl(der);
    const serialOf = (hex: string) => hex.toUpperCase().replace(/^0+/, '');
    const listed = new Set(crl.entries.map((e) => serialOf(e.serialNumber)));
    const pems = (await withDb(cf, (pg) => pg.query(`SELECT certificate FROM request.certificate_request WHERE id = ANY($1::uuid[])`, [ids]))).rows as { certificate: string }[];
    expect(pems).toHaveLength(N);
    expect(pems.filter((r) => !listed.has(serialOf(new x509.X509Certificate(r.certificate).serialNumber))).length).toBe(0);

    process.stdout.write(`faults/bulk-revoke: ${N} issued and assigned in ${((issuedAt - started) / 1000).toFixed(1)} s, revoked in ${revokedIn.toFixed(1)} s; kills: ${kills.join(', ')}; the first CLI run recorded ${recorded}\n`);
  });
});
