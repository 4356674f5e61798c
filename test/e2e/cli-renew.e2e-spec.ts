/**
 * Issue #18: `certflow renew` on a host, against the four running services and the internal CA: a
 * new key (the old kept as key.pem.prev), the renewal through the whole flow to ASSIGNED, the old
 * request SUPERSEDED, the installed files replaced; then the inventory from the command line.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertflow, waitForRequest, type Certflow } from './harness';
import { cliEnv, runCli } from './cli.helpers';

jest.setTimeout(180_000);

const fingerprint = (pem: Buffer | string) => new X509Certificate(pem).fingerprint.replace(/:/g, '');

describe('certflow renew and the inventory (issue #18)', () => {
  let cf: Certflow;
  let work: string;
  beforeAll(async () => {
    cf = await startCertflow();
    work = mkdtempSync(join(tmpdir(), 'certflow-cli-renew-'));
  });
  afterAll(async () => {
    await cf?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const host = 'renew01.cli.example.com';

  it('renews on the host with a new key, installs the renewal, and the old request becomes SUPERSEDED', async () => {
    const out = join(work, 'renew01');
    const first = await runCli(['request', '--host', host, '--name', 'www.renew01.cli.example.com', '--out', out, '--timeout', '60s'], cliEnv(cf));
    expect(first.code).toBe(0);
    const [oldId, , oldThumb] = first.stdout.trim().split(' ');
    const oldKey = readFileSync(join(out, 'key.pem'), 'utf8');
    const oldCert = readFileSync(join(out, 'cert.pem'), 'utf8');
    expect((await cf.api(`/api/v1/requests/${oldId}`)).body).toMatchObject({ state: 'ASSIGNED', rotationPolicy: 'Always' });

    const r = await runCli(['renew', oldId, '--out', out, '--timeout', '90s'], cliEnv(cf));
    expect(r.stderr).toMatch(/new key .*key\.pem .*kept as key\.pem\.prev/);
    expect(r.code).toBe(0);
    const [newId, state, newThumb] = r.stdout.trim().split(' ');
    expect(state).toBe('ASSIGNED');
    expect(newId).not.toBe(oldId);
    expect(newThumb).not.toBe(oldThumb);

    // The key: new in key.pem, the old one kept beside it.
    const newKey = readFileSync(join(out, 'key.pem'), 'utf8');
    expect(readFileSync(join(out, 'key.pem.prev'), 'utf8')).toBe(oldKey);
    expect(newKey).not.toBe(oldKey);
    // The installed files: the renewal's certificate, for the new key and the same names; the old kept as *.prev.
    const installed = new X509Certificate(readFileSync(join(out, 'cert.pem')));
    expect(fingerprint(installed.raw)).toBe(newThumb);
    expect(installed.checkPrivateKey(createPrivateKey(newKey))).toBe(true);
    expect(installed.subjectAltName).toContain('DNS:www.renew01.cli.example.com');
    expect(readFileSync(join(out, 'cert.pem.prev'), 'utf8')).toBe(oldCert);
    expect(readFileSync(join(out, 'fullchain.pem'), 'utf8')).toBe(readFileSync(join(out, 'cert.pem'), 'utf8') + readFileSync(join(out, 'chain.pem'), 'utf8'));

    // The renewal is ASSIGNED in the old one's place; the old one is SUPERSEDED by it.
    expect((await cf.api(`/api/v1/requests/${newId}`)).body).toMatchObject({ state: 'ASSIGNED', renewalOf: oldId, host, thumbprint: newThumb });
    const old = await waitForRequest(cf, oldId, (v) => v.state === 'SUPERSEDED', 30_000);
    expect(old.supersededBy).toBe(newId);
    const bound = (await cf.api(`/api/v1/hosts/${host}/assignments`)).body;
    for (const usage of ['Default', 'WebServicesInternal', 'WebServicesExternal']) expect(bound.usages[usage]).toMatchObject({ thumbprint: newThumb, requestId: newId });

    const status = await runCli(['status', newId], cliEnv(cf));
    expect(status.stdout).toMatch(new RegExp(`Renews\\s+${oldId}`));
    expect((await runCli(['status', oldId], cliEnv(cf))).stdout).toMatch(new RegExp(`Superseded by ${newId}`));

    // Renewing the superseded request again is refused before any key is made.
    const again = await runCli(['renew', oldId, '--out', out], cliEnv(cf));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/SUPERSEDED.*\(NOT_RENEWABLE\)/);
    expect(readFileSync(join(out, 'key.pem'), 'utf8')).toBe(newKey);
  });

  it('renews a Never request without a CSR: the same key, a new certificate installed', async () => {
    const out = join(work, 'never01');
    const h = 'never01.cli.example.com';
    const first = await runCli(['request', '--host', h, '--out', out, '--rotation-policy', 'Never', '--renew-before', 'P30D', '--timeout', '60s'], cliEnv(cf));
    expect(first.code).toBe(0);
    const [oldId, , oldThumb] = first.stdout.trim().split(' ');
    expect((await cf.api(`/api/v1/requests/${oldId}`)).body).toMatchObject({ rotationPolicy: 'Never', renewBefore: 'P30D' });
    const key = readFileSync(join(out, 'key.pem'), 'utf8');

    const r = await runCli(['renew', oldId, '--out', out, '--timeout', '90s'], cliEnv(cf));
    expect(r.code).toBe(0);
    const [newId, , newThumb] = r.stdout.trim().split(' ');
    expect(newThumb).not.toBe(oldThumb);
    expect(readFileSync(join(out, 'key.pem'), 'utf8')).toBe(key);
    expect(existsSync(join(out, 'key.pem.prev'))).toBe(false);
    expect(new X509Certificate(readFileSync(join(out, 'cert.pem'))).checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect((await cf.api(`/api/v1/requests/${newId}`)).body).toMatchObject({ renewalOf: oldId, rotationPolicy: 'Never', renewBefore: 'P30D' });
    await waitForRequest(cf, oldId, (v) => v.state === 'SUPERSEDED', 30_000);
  });

  it('lists the inventory: certs list with filters, and list --expiring without the superseded', async () => {
    const all = JSON.parse((await runCli(['certs', 'list', '--host', host, '--json'], cliEnv(cf))).stdout).items;
    expect(all.map((c: { status: string }) => c.status).sort()).toEqual(['active', 'superseded']);

    const active = await runCli(['certs', 'list', '--host', host, '--status', 'active'], cliEnv(cf));
    expect(active.code).toBe(0);
    expect(active.stdout.split('\n')[0]).toMatch(/^HOST\s+STATUS\s+NOT AFTER\s+DAYS/);
    expect(active.stdout.trim().split('\n')).toHaveLength(2);

    // The internal CA issues for 397 days: within 400 days, not within 30.
    const soon = JSON.parse((await runCli(['list', '--expiring', '400d', '--host', host, '--json'], cliEnv(cf))).stdout).items;
    expect(soon).toHaveLength(1);
    expect(soon[0]).toMatchObject({ host, status: 'active' });
    expect((await runCli(['list', '--expiring', '30d', '--host', host], cliEnv(cf))).stdout.trim()).toBe('no certificates');

    const bad = await runCli(['list', '--expiring', '30 days'], cliEnv(cf));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/e\.g\. 30d, 12h, 2w/);
  });
});
