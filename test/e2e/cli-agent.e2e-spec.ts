/**
 * Issue #7: the fleet agent, and issue 15: off the bus. It follows its host's events over HTTP with
 * an `agent` token (no NATS address given to it) from a cursor kept in its directory: an assignment
 * made while it was stopped is installed when it starts again. `events` shows the stream (NATS).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertflow, type Certflow } from './harness';
import { cliEnv, runCli, startCli, type RunningCli } from './cli.helpers';
import { sleep } from './seed-flow.helpers';

jest.setTimeout(180_000);

describe('certflow agent (issue #7)', () => {
  let cf: Certflow;
  let work: string;
  let agentEnv: Record<string, string>;
  beforeAll(async () => {
    cf = await startCertflow();
    work = mkdtempSync(join(tmpdir(), 'certflow-cli-agent-'));
    const token = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'edge-agents', role: 'agent', hosts: ['*.agent.example.com'] } });
    expect(token.status).toBe(201);
    // The fleet host has its agent token and the API's address only: no NATS, no admin token.
    agentEnv = cliEnv(cf, { CERTFLOW_TOKEN: token.body.secret, NATS_URL: 'nats://127.0.0.1:1' });
  });
  afterAll(async () => {
    await cf?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const host = 'edge01.agent.example.com';
  const stopAgent = async (a: RunningCli) => {
    a.child.kill('SIGTERM');
    return a.done;
  };

  it('installs an assignment made while it was down when it starts again, keeps the previous files, runs the reload command', async () => {
    const dir = join(work, 'etc-certflow');
    const marker = join(work, 'reloads.log');
    const agentArgs = ['agent', '--host', host, '--dir', dir, '--reload', `echo "$CERTFLOW_USAGE $CERTFLOW_THUMBPRINT" >> ${marker}`];

    // First start: nothing is assigned yet.
    let agent = startCli(agentArgs, agentEnv);
    await agent.waitFor(/ready/);
    expect((await stopAgent(agent)).code).toBe(0);

    // While the agent is down: a request (key kept in --dir) goes to ASSIGNED.
    const req = await runCli(['agent', 'request', '--host', host, '--dir', dir, '--timeout', '60s'], agentEnv);
    expect(req.code).toBe(0);
    const [id, , thumbprint] = req.stdout.trim().split(' ');
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'Default', 'cert.pem'))).toBe(false);

    agent = startCli(agentArgs, agentEnv);
    await agent.waitFor(/installed \S+ for WebServicesExternal/);
    for (const usage of ['Default', 'WebServicesInternal', 'WebServicesExternal']) {
      const d = join(dir, usage);
      const cert = new X509Certificate(readFileSync(join(d, 'cert.pem')));
      expect(cert.fingerprint.replace(/:/g, '')).toBe(thumbprint);
      expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(d, 'privkey.pem'))))).toBe(true);
      expect(statSync(join(d, 'privkey.pem')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(d, 'fullchain.pem'), 'utf8')).toBe(readFileSync(join(d, 'cert.pem'), 'utf8') + readFileSync(join(d, 'chain.pem'), 'utf8'));
    }
    await sleep(300);
    // The cursor moved past the event once its files were written and the reloads ran.
    expect(JSON.parse(readFileSync(join(dir, '.certflow-cursor.json'), 'utf8'))).toEqual({ host, after: '1' });
    expect(readFileSync(marker, 'utf8').trim().split('\n').sort()).toEqual([`Default ${thumbprint}`, `WebServicesExternal ${thumbprint}`, `WebServicesInternal ${thumbprint}`]);

    // While it runs: a renewal for Default only; the previous certificate is kept as cert.pem.prev.
    const renewal = await runCli(['agent', 'request', '--host', host, '--dir', dir, '--usages', 'Default', '--force', '--timeout', '60s'], agentEnv);
    expect(renewal.code).toBe(0);
    const thumbprint2 = renewal.stdout.trim().split(' ')[2];
    await agent.waitFor(new RegExp(`installed ${thumbprint2} for Default`));
    expect(new X509Certificate(readFileSync(join(dir, 'Default', 'cert.pem'))).fingerprint.replace(/:/g, '')).toBe(thumbprint2);
    expect(new X509Certificate(readFileSync(join(dir, 'Default', 'cert.pem.prev'))).fingerprint.replace(/:/g, '')).toBe(thumbprint);
    expect(new X509Certificate(readFileSync(join(dir, 'WebServicesInternal', 'cert.pem'))).fingerprint.replace(/:/g, '')).toBe(thumbprint);
    // The new key went with the new certificate; the old key still serves the other usages.
    expect(new X509Certificate(readFileSync(join(dir, 'Default', 'cert.pem'))).checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'Default', 'privkey.pem'))))).toBe(true);
    expect(new X509Certificate(readFileSync(join(dir, 'WebServicesInternal', 'cert.pem'))).checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'WebServicesInternal', 'privkey.pem'))))).toBe(true);
    const stopped = await stopAgent(agent);
    expect(stopped.code).toBe(0);
    // Another host's agent ignored nothing of ours and ours ignored theirs: only our host's events were installed.
    expect(stopped.stderr).not.toMatch(/could not install/);
    // Three events in the feed: both assignments, and the unassigned (reason replaced) of the first
    // certificate's Default binding (issue #18), which the agent passes over.
    expect(JSON.parse(readFileSync(join(dir, '.certflow-cursor.json'), 'utf8'))).toEqual({ host, after: '3' });

    // Started again from its cursor: nothing is installed twice.
    agent = startCli(agentArgs, agentEnv);
    await agent.waitFor(/ready/);
    const again = await stopAgent(agent);
    expect(again.stdout + again.stderr).not.toMatch(/installed/);

    // `events`: the request's history as lines, and as JSON envelopes.
    const lines = await runCli(['events', '--request', id], cliEnv(cf));
    expect([lines.code, lines.stderr]).toEqual([0, '']);
    expect(lines.stdout).toMatch(/request\.submitted\s+\S+ host=edge01\.agent\.example\.com/);
    expect(lines.stdout).toMatch(/certificate\.assigned\s+/);
    const json = await runCli(['events', '--host', host, '--json'], cliEnv(cf));
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.every((e) => e.specversion === '1.0')).toBe(true);
    expect(events.filter((e) => e.type === 'certflow.certificate.assigned.v1')).toHaveLength(2);
  });

  it('--once installs what is waiting and exits', async () => {
    const dir = join(work, 'once');
    const req = await runCli(['agent', 'request', '--host', 'edge02.agent.example.com', '--dir', dir, '--usages', 'WebServicesInternal'], agentEnv);
    expect(req.code).toBe(0);
    const r = await runCli(['agent', '--host', 'edge02.agent.example.com', '--dir', dir, '--once'], agentEnv);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'WebServicesInternal', 'fullchain.pem'))).toBe(true);
    expect(existsSync(join(dir, 'Default'))).toBe(false);
  });

  it('is refused another host\'s events, and stops with the API\'s message', async () => {
    const r = await runCli(['agent', '--host', 'db01.corp.example.com', '--dir', join(work, 'other'), '--once'], agentEnv);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('HOST_NOT_ALLOWED');
  });
});
