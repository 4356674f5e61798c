/**
 * Issue #7: `certflow bulk request` for 50 hosts from an inventory, interrupted with Ctrl-C and
 * resumed: every host ends ASSIGNED with its files, and no host was submitted twice.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertflow, type Certflow } from './harness';
import { pendingOfflineRequest, hierarchy, leafFor, upload } from './seed-flow.helpers';
import { waitForRequest } from './harness';
import { cliEnv, runCli, startCli } from './cli.helpers';

jest.setTimeout(300_000);

describe('certflow bulk (issue #7)', () => {
  let cf: Certflow;
  let work: string;
  beforeAll(async () => {
    cf = await startCertflow();
    work = mkdtempSync(join(tmpdir(), 'certflow-cli-bulk-'));
  });
  afterAll(async () => {
    await cf?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const requestsFor = async (host: string) => (await cf.api(`/api/v1/requests?host=${host}&limit=500`)).body.items as any[];

  it('requests 50 hosts from an inventory, is interrupted, resumes without duplicates, and reports', async () => {
    const hosts = Array.from({ length: 50 }, (_, i) => `node${String(i + 1).padStart(2, '0')}.bulk.example.com`);
    const inventory = join(work, 'hosts.csv');
    writeFileSync(
      inventory,
      ['host,names,usages', ...hosts.map((h, i) => (i % 5 === 0 ? `"${h}","alias-${h}; ${h.replace('node', 'svc')}",WebServicesInternal;WebServicesExternal` : `${h},,`))].join('\n') + '\n',
    );
    const out = join(work, 'certs');
    const args = ['bulk', 'request', '--inventory', inventory, '--out', out, '--concurrency', '4', '--report', join(work, 'report-1.json')];

    const first = startCli(args, cliEnv(cf));
    await first.waitFor(/^\[10\/50\] /m, 120_000);
    first.child.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.stderr).toMatch(/interrupted/);
    expect(r1.code).toBe(130);
    const state = JSON.parse(readFileSync(`${inventory}.certflow-state.json`, 'utf8'));
    const doneFirst = Object.values(state.hosts).filter((h: any) => h.state === 'ASSIGNED' && h.filesWritten).length;
    expect(doneFirst).toBeGreaterThanOrEqual(10);
    expect(doneFirst).toBeLessThan(50);
    const report1 = JSON.parse(readFileSync(join(work, 'report-1.json'), 'utf8'));
    expect(report1).toMatchObject({ interrupted: true, total: 50 });
    expect(report1.counts.NOT_RUN).toBeGreaterThan(0);

    const second = await runCli([...args.slice(0, -1), join(work, 'report-2.json')], cliEnv(cf));
    expect(second.stderr).toMatch(/resuming/);
    expect(second.code).toBe(0);
    // The summary table: every host ASSIGNED, the ones done before skipped.
    expect(second.stdout).toMatch(/^ASSIGNED\s+50$/m);
    expect(second.stdout).toMatch(/^total\s+50$/m);
    expect(second.stdout).toMatch(new RegExp(`\\(${doneFirst} done by an earlier run, skipped\\)`));
    const report2 = JSON.parse(readFileSync(join(work, 'report-2.json'), 'utf8'));
    expect(report2).toMatchObject({ interrupted: false, total: 50, counts: { ASSIGNED: 50 } });
    expect(report2.items.filter((i: any) => i.skipped)).toHaveLength(doneFirst);

    for (const [i, h] of hosts.entries()) {
      const reqs = await requestsFor(h);
      expect([h, reqs.length]).toEqual([h, 1]);
      expect(reqs[0].state).toBe('ASSIGNED');
      expect(statSync(join(out, h, 'key.pem')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(out, h, 'cert.pem'), 'utf8')).toBe(reqs[0].certificate.pem.replace(/\n?$/, '\n'));
      if (i % 5 === 0) {
        expect(reqs[0].usages).toEqual(['WebServicesInternal', 'WebServicesExternal']);
        expect(reqs[0].certificate.subjectAltNames).toEqual(expect.arrayContaining([`DNS:alias-${h}`, `DNS:${h.replace('node', 'svc')}`]));
      }
    }
    expect(report2.items.map((i: any) => i.host).sort()).toEqual([...hosts].sort());

    // A third run has nothing to do.
    const third = await runCli(args, cliEnv(cf));
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/\(50 done by an earlier run, skipped\)/);
    expect((await cf.api('/api/v1/requests?limit=500')).body.items).toHaveLength(50);
  });

  it('assigns every ASSIGNABLE request whose host matches a glob, and a second run finds nothing left', async () => {
    const { root, intermediate } = await hierarchy('cli-bulk-assign');
    expect((await cf.api('/api/v1/trust/roots', { method: 'POST', body: root.pem, headers: { 'content-type': 'application/x-pem-file' } })).status).toBe(201);
    const hosts = ['app1.glob.example.com', 'app2.glob.example.com', 'db1.glob.example.com'];
    const ids: string[] = [];
    for (const h of hosts) {
      const req = await pendingOfflineRequest(cf, h, { autoAssign: false });
      expect((await upload(cf, req.id, await leafFor(req, intermediate), [intermediate.pem])).status).toBe(202);
      await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNABLE');
      ids.push(req.id);
    }
    const dry = await runCli(['bulk', 'assign', '--state', 'ASSIGNABLE', '--host-glob', 'app*.glob.example.com', '--dry-run'], cliEnv(cf));
    expect(dry.stdout).toContain(ids[0]);
    expect(dry.stdout).not.toContain(ids[2]);

    const report = join(work, 'assign.json');
    const r = await runCli(['bulk', 'assign', '--state', 'ASSIGNABLE', '--host-glob', 'app*.glob.example.com', '--report', report], cliEnv(cf));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ASSIGNED\s+2$/m);
    expect(JSON.parse(readFileSync(report, 'utf8'))).toMatchObject({ total: 2, counts: { ASSIGNED: 2 } });
    expect((await cf.api(`/api/v1/requests/${ids[0]}`)).body.state).toBe('ASSIGNED');
    expect((await cf.api(`/api/v1/requests/${ids[1]}`)).body.state).toBe('ASSIGNED');
    expect((await cf.api(`/api/v1/requests/${ids[2]}`)).body.state).toBe('ASSIGNABLE');

    const again = await runCli(['bulk', 'assign', '--state', 'ASSIGNABLE', '--host-glob', 'app*.glob.example.com'], cliEnv(cf));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^0 ASSIGNABLE request\(s\)/m);
    expect(existsSync(report)).toBe(true);
  });

  it('submits in batch calls: a host outside a requester token is refused on its own, the others are done, and a rerun submits nothing twice', async () => {
    const token = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'bulk-ci', role: 'requester', hosts: ['*.scoped.example.com'] } });
    expect(token.status).toBe(201);
    const env = cliEnv(cf, { CERTFLOW_TOKEN: token.body.secret });
    const hosts = ['a1.scoped.example.com', 'a2.scoped.example.com', 'x1.other.example.com'];
    const inventory = join(work, 'scoped.csv');
    writeFileSync(inventory, hosts.join('\n') + '\n');
    const report = join(work, 'scoped.json');
    const args = ['bulk', 'request', '--inventory', inventory, '--out', join(work, 'scoped'), '--batch-size', '2', '--report', report];

    const first = await runCli(args, env);
    expect(first.stderr).toMatch(/^submitting 3 host\(s\) in batches of at most 2$/m);
    expect(first.code).toBe(1);
    const r1 = JSON.parse(readFileSync(report, 'utf8'));
    expect(r1.counts).toEqual({ ASSIGNED: 2, ERROR: 1 });
    expect(r1.items.find((i: any) => i.host === 'x1.other.example.com')).toMatchObject({ state: 'NEW', error: { code: 'HOST_NOT_ALLOWED' } });
    expect(first.stdout).toMatch(/x1\.other\.example\.com .*\(HOST_NOT_ALLOWED\)/);
    for (const h of hosts.slice(0, 2)) expect(readFileSync(join(work, 'scoped', h, 'cert.pem'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);

    const second = await runCli(args, env);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/\(2 done by an earlier run, skipped\)/);
    expect(second.stderr).toMatch(/^submitting 1 host\(s\)/m);
    for (const h of hosts) expect([h, (await requestsFor(h)).length]).toEqual([h, h.startsWith('x1') ? 0 : 1]);
  });

  it('refuses a broken inventory with the line and what to fix (exit 2)', async () => {
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, 'ok.example.com\nbad host,,\n');
    const r = await runCli(['bulk', 'request', '--inventory', bad, '--out', join(work, 'x')], cliEnv(cf));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^certflow: .*bad\.csv line 2: "bad host" is not a host FQDN \(INVENTORY_INVALID\) — each line: host,names/);
  });
});
