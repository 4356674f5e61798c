/**
 * Issue #7: `certflow request` and the commands around it, against the four running services.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueLeaf, subjectOf, toPem } from '@certflow/pki';
import { startCertflow, waitForRequest, type Certflow } from './harness';
import { hierarchy, upload } from './seed-flow.helpers';
import { cliEnv, publicKeyOf, runCli, startCli } from './cli.helpers';

jest.setTimeout(180_000);

describe('certflow CLI: request, status, show, list, assign, trust (issue #7)', () => {
  let cf: Certflow;
  let work: string;
  beforeAll(async () => {
    cf = await startCertflow();
    work = mkdtempSync(join(tmpdir(), 'certflow-cli-'));
  });
  afterAll(async () => {
    await cf?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('takes a request to ASSIGNED and writes key (0600), certificate, chain and full chain', async () => {
    const out = join(work, 'web01');
    const r = await runCli(['request', '--host', 'web01.cli.example.com', '--name', 'web.cli.example.com', '--out', out, '--timeout', '60s'], cliEnv(cf));
    expect(r.stderr).toMatch(/request \S+ submitted for web01\.cli\.example\.com/);
    expect(r.stderr).toMatch(/ASSIGNED/);
    expect(r.code).toBe(0);
    const [id, state, thumbprint] = r.stdout.trim().split(' ');
    expect(state).toBe('ASSIGNED');

    expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(join(out, 'cert.pem')));
    expect(cert.fingerprint.replace(/:/g, '')).toBe(thumbprint);
    expect(cert.checkPrivateKey(require('node:crypto').createPrivateKey(readFileSync(join(out, 'key.pem'))))).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:web.cli.example.com');
    const chain = readFileSync(join(out, 'chain.pem'), 'utf8');
    const issuing = new X509Certificate(chain);
    expect(cert.verify(issuing.publicKey)).toBe(true);
    expect(issuing.subject).not.toBe(issuing.issuer); // the root is not shipped
    expect(readFileSync(join(out, 'fullchain.pem'), 'utf8')).toBe(readFileSync(join(out, 'cert.pem'), 'utf8') + chain);

    const view = (await cf.api(`/api/v1/requests/${id}`)).body;
    expect(view).toMatchObject({ state: 'ASSIGNED', host: 'web01.cli.example.com', thumbprint });

    const status = await runCli(['status', id], cliEnv(cf));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/State\s+ASSIGNED/);
    expect(JSON.parse((await runCli(['status', id, '--json'], cliEnv(cf))).stdout)).toMatchObject({ id, state: 'ASSIGNED' });

    const show = await runCli(['show', thumbprint.toLowerCase()], cliEnv(cf));
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Thumbprint \(SHA-1\)\s+/);
    expect(show.stdout).toContain('CN=web01.cli.example.com');
    expect(JSON.parse((await runCli(['show', thumbprint, '--json'], cliEnv(cf))).stdout).thumbprint).toBe(thumbprint);

    const list = await runCli(['list', '--host', 'web01.cli.example.com'], cliEnv(cf));
    expect(list.stdout).toContain(id);
    expect(JSON.parse((await runCli(['list', '--state', 'ASSIGNED', '--json'], cliEnv(cf))).stdout).items.map((v: any) => v.id)).toContain(id);

    // A second request into the same directory is refused, the key untouched.
    const before = readFileSync(join(out, 'key.pem'), 'utf8');
    const again = await runCli(['request', '--host', 'web01.cli.example.com', '--out', out], cliEnv(cf));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^certflow: .*key\.pem already exists \(KEY_EXISTS\) — .*--force/m);
    expect(readFileSync(join(out, 'key.pem'), 'utf8')).toBe(before);
  });

  it('answers errors in one line with a code, a hint and a documented exit code', async () => {
    const noToken = await runCli(['list'], cliEnv(cf, { CERTFLOW_TOKEN: '' }));
    expect(noToken.code).toBe(6);
    expect(noToken.stderr.trim().split('\n')).toHaveLength(1);
    const badToken = await runCli(['list', '--token', 'not-the-token-at-all-000000'], cliEnv(cf));
    expect(badToken.code).toBe(6);
    expect(badToken.stderr).toMatch(/^certflow: .+ \(UNAUTHENTICATED\) — pass a valid token/);
    const unknown = await runCli(['status', '00000000-0000-0000-0000-000000000000'], cliEnv(cf));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\(REQUEST_NOT_FOUND\) — check the id with `certflow list`/);
    const usage = await runCli(['request', '--out', join(work, 'x')], cliEnv(cf));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--host/);
    const down = await runCli(['list', '--url', 'http://127.0.0.1:9'], cliEnv(cf));
    expect(down.code).toBe(7);
    expect(down.stderr).toMatch(/cannot reach the certflow API .*CERTFLOW_URL/);
    for (const cmd of [[], ['request'], ['status'], ['show'], ['assign'], ['list'], ['trust', 'import-root'], ['trust', 'import-intermediate'], ['trust', 'list'], ['bulk', 'request'], ['bulk', 'assign'], ['events'], ['agent']]) {
      const help = await runCli([...cmd, '--help'], cliEnv(cf));
      expect([cmd, help.code]).toEqual([cmd, 0]);
      expect(help.stdout).toMatch(/^Usage: certflow/);
    }
  });

  it('on CHAIN_INCOMPLETE says which root to import and exits 3; after trust import-root and assign the request is ASSIGNED', async () => {
    const { root, intermediate } = await hierarchy('cli-untrusted');
    const out = join(work, 'offline01');
    const host = 'offline01.cli.example.com';
    const cli = startCli(['request', '--host', host, '--issuer', 'offline', '--out', out, '--timeout', '90s'], cliEnv(cf));
    const [, id] = await cli.waitFor(/request (\S+) submitted/);
    await cli.waitFor(/PENDING/);
    await waitForRequest(cf, id, (v) => v.state === 'PENDING');

    // The offline CA issues for the key the CLI made on this host; an operator uploads it.
    const leaf = toPem(await issueLeaf({ issuer: intermediate, publicKey: await publicKeyOf(join(out, 'key.pem')), subject: `CN=${host}`, dnsNames: [host] }));
    expect((await upload(cf, id, leaf, [intermediate.pem])).status).toBe(202);

    const r = await cli.done;
    expect(r.code).toBe(3);
    const rootName = subjectOf(root.certificate);
    expect(r.stderr).toContain(`CHAIN_INCOMPLETE`);
    expect(r.stderr).toMatch(new RegExp(`^certflow: request ${id} .*import the root CA "${rootName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}".*certflow trust import-root FILE.* \\(CHAIN_INCOMPLETE\\) — then: certflow assign ${id}$`, 'm'));
    expect(existsSync(join(out, 'cert.pem'))).toBe(false);
    const status = await runCli(['status', id], cliEnv(cf));
    expect(status.code).toBe(3);
    expect(status.stdout).toContain(rootName);

    const refused = await runCli(['assign', id], cliEnv(cf));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\(NOT_ASSIGNABLE\) — see what is missing/);

    const rootFile = join(work, 'root.pem');
    writeFileSync(rootFile, root.pem);
    const imported = await runCli(['trust', 'import-root', rootFile], cliEnv(cf));
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^imported [0-9A-F]{40} into roots$/m);
    expect((await runCli(['trust', 'import-root', rootFile], cliEnv(cf))).stdout).toMatch(/already present/);
    const bad = await runCli(['trust', 'import-intermediate', join(work, 'missing.pem')], cliEnv(cf));
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^certflow: cannot read .*missing\.pem: ENOENT \(FILE_UNREADABLE\)/) });
    const trust = await runCli(['trust', 'list'], cliEnv(cf));
    expect(trust.stdout).toContain('Seed Root cli-untrusted');

    await waitForRequest(cf, id, (v) => v.state === 'ASSIGNABLE');
    const assigned = await runCli(['assign', id], cliEnv(cf));
    expect(assigned.stderr).toBe('');
    expect(assigned.code).toBe(0);
    expect(assigned.stdout).toMatch(new RegExp(`^${id} ASSIGNED`));
  });

  it('stops waiting at --timeout with exit 5, the request still going on', async () => {
    const r = await runCli(['request', '--host', 'slow01.cli.example.com', '--issuer', 'offline', '--out', join(work, 'slow01'), '--timeout', '2s'], cliEnv(cf));
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/is still PENDING after 2s; .*\(TIMEOUT\) — follow it with: certflow status /);
  });
});
