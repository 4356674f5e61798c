/**
 * Issue #19 through the CLI: `certflow revoke` on a certificate the fleet agent installed. The
 * revocation goes through ca-gateway (certificate.revoked), assignment releases the bindings, and
 * the agent removes cert, chain, fullchain and privkey of every usage (the *.prev copies stay) and
 * runs the reload. Asking again answers the first revocation; bad input is refused with its code.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertflow, type Certflow } from './harness';
import { cliEnv, runCli, startCli } from './cli.helpers';

jest.setTimeout(180_000);

describe('certflow revoke and the agent (issue #19)', () => {
  let cf: Certflow;
  let work: string;
  let agentEnv: Record<string, string>;
  beforeAll(async () => {
    cf = await startCertflow();
    work = mkdtempSync(join(tmpdir(), 'certflow-cli-revoke-'));
    const token = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'revoke-agents', role: 'agent', hosts: ['*.revoke.example.com'] } });
    expect(token.status).toBe(201);
    agentEnv = cliEnv(cf, { CERTFLOW_TOKEN: token.body.secret, NATS_URL: 'nats://127.0.0.1:1' });
  });
  afterAll(async () => {
    await cf?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const host = 'edge01.revoke.example.com';
  const FILES = ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem'];
  const thumbprintOf = (path: string) => new X509Certificate(readFileSync(path)).fingerprint.replace(/:/g, '');

  it('revokes: the agent removes the files of every usage (keeping *.prev) and reloads; twice answers the first; bad input is refused', async () => {
    const dir = join(work, 'etc-certflow');
    const reloads = join(work, 'reloads.log');
    const agent = startCli(['agent', '--host', host, '--dir', dir, '--reload', `echo "$CERTFLOW_USAGE \${CERTFLOW_RELEASED:-installed} $CERTFLOW_THUMBPRINT" >> ${reloads}`], agentEnv);
    await agent.waitFor(/ready/);

    // A first certificate for Default, then a second for all three usages: Default keeps the first as *.prev.
    expect((await runCli(['agent', 'request', '--host', host, '--dir', dir, '--usages', 'Default', '--timeout', '60s'], agentEnv)).code).toBe(0);
    const second = await runCli(['agent', 'request', '--host', host, '--dir', dir, '--force', '--timeout', '60s'], agentEnv);
    expect(second.code).toBe(0);
    const thumbprint = second.stdout.trim().split(' ')[2];
    await agent.waitFor(new RegExp(`installed ${thumbprint} for WebServicesExternal`), 60_000);
    await agent.waitFor(new RegExp(`installed ${thumbprint} for Default`), 60_000);
    const prev = readFileSync(join(dir, 'Default', 'cert.pem.prev'), 'utf8');

    const revoke = await runCli(['revoke', thumbprint.toLowerCase().match(/../g)!.join(':'), '--reason', 'keyCompromise'], cliEnv(cf));
    expect([revoke.code, revoke.stderr]).toEqual([0, '']);
    expect(revoke.stdout).toMatch(new RegExp(`^certificate ${thumbprint} of request \\S+: (revocation requested|revoked \\S+) \\(reason keyCompromise, asked \\S+; at the CA: crl-ocsp\\)$`, 'm'));

    for (const usage of ['Default', 'WebServicesInternal', 'WebServicesExternal']) await agent.waitFor(new RegExp(`removed ${thumbprint} \\(revoked\\) for ${usage}`), 60_000);
    for (const usage of ['Default', 'WebServicesInternal', 'WebServicesExternal']) {
      expect([usage, FILES.filter((f) => existsSync(join(dir, usage, f)))]).toEqual([usage, []]);
    }
    expect(readFileSync(join(dir, 'Default', 'cert.pem.prev'), 'utf8')).toBe(prev);
    expect(thumbprintOf(join(dir, 'Default', 'cert.pem.prev'))).not.toBe(thumbprint);
    const lines = readFileSync(reloads, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.includes(' revoked ')).sort()).toEqual(['Default', 'WebServicesExternal', 'WebServicesInternal'].map((u) => `${u} revoked ${thumbprint}`));

    // Twice: 200 with the first revocation (its reason), said so.
    const again = await runCli(['revoke', thumbprint, '--reason', 'superseded'], cliEnv(cf));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/reason keyCompromise/);
    expect(again.stdout).toContain('it was revoked before with reason keyCompromise: the first revocation stands');

    // The inventory says revoked; bulk revoke of the host glob finds nothing left to do.
    const list = await runCli(['certs', 'list', '--host', host, '--json'], cliEnv(cf));
    expect(JSON.parse(list.stdout).items.find((c: { thumbprint: string }) => c.thumbprint === thumbprint).status).toBe('revoked');
    const dry = await runCli(['bulk', 'revoke', '--host-glob', '*.revoke.example.com', '--dry-run'], cliEnv(cf));
    expect(dry.stderr).toMatch(/2 certificate\(s\) for --host-glob \*\.revoke\.example\.com: 1 already revoked, 0 done by an earlier run, 1 to revoke/);

    // Bad input.
    const unknown = await runCli(['revoke', 'AB'.repeat(20), '--reason', 'keyCompromise'], cliEnv(cf));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\(CERTIFICATE_NOT_FOUND\) — check the thumbprint/);
    const hold = await runCli(['revoke', thumbprint, '--reason', 'certificateHold'], cliEnv(cf));
    expect(hold.code).toBe(2);
    expect(hold.stderr).toMatch(/certflow does not un-revoke/);
    // The route's own answer to a reason the CLI would have refused (the API checks as well).
    const raw = await cf.api(`/api/v1/certificates/${thumbprint}/revoke`, { method: 'POST', json: { reason: 'stolen' } });
    expect([raw.status, raw.body.error.code]).toEqual([400, 'INVALID_REASON']);

    agent.child.kill('SIGTERM');
    const stopped = await agent.done;
    expect(stopped.stderr).not.toMatch(/could not install/);
  });
});
