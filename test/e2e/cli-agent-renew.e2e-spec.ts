/**
 * Issue #18, `rotationPolicy: "Always"` with the agent: when the expiry watch sends renewal-due for
 * its host, the agent makes a new key (the old kept as key.pem.prev), submits the renewal with its
 * agent token, installs the renewal when it is assigned and runs the reload command; the old
 * request becomes SUPERSEDED. Time moves forward through CERTFLOW_CLOCK_FILE (every service's
 * clock), so the 397-day certificate's renewal window opens in seconds.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertflow, waitForRequest, type Certflow } from './harness';
import { cliEnv, runCli, startCli, type RunningCli } from './cli.helpers';
import { sleep } from './seed-flow.helpers';

jest.setTimeout(180_000);

const fingerprint = (path: string) => new X509Certificate(readFileSync(path)).fingerprint.replace(/:/g, '');

describe('the agent renews on renewal-due (issue #18, rotationPolicy Always)', () => {
  let cf: Certflow;
  let work: string;
  let clockFile: string;
  let agentEnv: Record<string, string>;
  let agent: RunningCli | undefined;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'certflow-agent-renew-'));
    clockFile = join(work, 'clock-shift-seconds');
    writeFileSync(clockFile, '0');
    cf = await startCertflow({ env: { CERTFLOW_CLOCK_FILE: clockFile, CERTFLOW_WATCH_INTERVAL_MS: '200' } });
    const token = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'renew-agents', role: 'agent', hosts: ['*.renew.example.com'] } });
    expect(token.status).toBe(201);
    agentEnv = cliEnv(cf, { CERTFLOW_TOKEN: token.body.secret, NATS_URL: 'nats://127.0.0.1:1' });
  });
  afterAll(async () => {
    agent?.child.kill('SIGTERM');
    await agent?.done;
    await cf?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('makes a new key, renews, installs the renewal with a reload, once; the old request is SUPERSEDED', async () => {
    const host = 'app01.renew.example.com';
    const dir = join(work, 'etc-certflow');
    const marker = join(work, 'reloads.log');
    agent = startCli(['agent', '--host', host, '--dir', dir, '--reload', `echo "$CERTFLOW_USAGE $CERTFLOW_THUMBPRINT" >> ${marker}`], agentEnv);
    await agent.waitFor(/ready/);

    const req = await runCli(['agent', 'request', '--host', host, '--dir', dir, '--usages', 'Default', '--timeout', '60s'], agentEnv);
    expect(req.code).toBe(0);
    const [oldId, , oldThumb] = req.stdout.trim().split(' ');
    await agent.waitFor(new RegExp(`installed ${oldThumb} for Default`));
    const oldKey = readFileSync(join(dir, 'key.pem'), 'utf8');

    // 300 days later: the renewal window (a third of 397 days before notAfter) is open.
    writeFileSync(clockFile, String(300 * 86_400));
    await agent.waitFor(new RegExp(`renewal due for request ${oldId}`), 30_000);
    const [, newId] = await agent.waitFor(new RegExp(`renewal (\\S+) of ${oldId} submitted`), 30_000);
    const [, newThumb] = await agent.waitFor(new RegExp(`installed (?!${oldThumb})(\\S+) for Default`), 60_000);

    // The new key in key.pem, the old one kept; the installed certificate and key go together.
    const newKey = readFileSync(join(dir, 'key.pem'), 'utf8');
    expect(readFileSync(join(dir, 'key.pem.prev'), 'utf8')).toBe(oldKey);
    expect(newKey).not.toBe(oldKey);
    const d = join(dir, 'Default');
    expect(fingerprint(join(d, 'cert.pem'))).toBe(newThumb);
    expect(fingerprint(join(d, 'cert.pem.prev'))).toBe(oldThumb);
    expect(readFileSync(join(d, 'privkey.pem'), 'utf8')).toBe(newKey);
    expect(new X509Certificate(readFileSync(join(d, 'cert.pem'))).checkPrivateKey(createPrivateKey(newKey))).toBe(true);
    await sleep(300);
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toEqual([`Default ${oldThumb}`, `Default ${newThumb}`]);

    expect((await cf.api(`/api/v1/requests/${newId}`)).body).toMatchObject({ state: 'ASSIGNED', renewalOf: oldId, thumbprint: newThumb });
    expect(await waitForRequest(cf, oldId, (v) => v.state === 'SUPERSEDED', 30_000)).toMatchObject({ supersededBy: newId });

    // Once: a while later there is still one renewal for the host, and the agent renewed nothing else.
    await sleep(2_000);
    const requests = (await cf.api(`/api/v1/requests?host=${host}`)).body.items;
    expect(requests.map((r: { id: string }) => r.id).sort()).toEqual([oldId, newId].sort());
    expect(agent.stderr().match(/renewal due for request/g)).toHaveLength(1);
    expect(agent.stderr()).not.toMatch(/renewal of \S+ failed/);
  });
});
