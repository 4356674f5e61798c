import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError, InvalidArgumentError } from 'commander';
import { CliError, EXIT } from '../exit-codes';
import { buildProgram } from '../main';
import { parseCaThumbprint, parseReason, parseThumbprint } from '../revoke/revoke-api';

const T = 'AB'.repeat(20);

/** The revoke route in memory: records what is sent; answers as the request service does. */
async function fakeRoute(answer: (t: string, body: Record<string, unknown>) => [number, unknown]) {
  const calls: { path: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      calls.push({ path: req.url!, body });
      const t = decodeURIComponent(/^\/api\/v1\/certificates\/([^/]+)\/revoke$/.exec(req.url!)?.[1] ?? '');
      const [status, json] = answer(t, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => new Promise((r) => server.close(r)) };
}

const first = { requestId: 'r1', thumbprint: T, reason: 'keyCompromise', requestedAt: '2026-01-01T00:00:00.000Z', state: 'requested', atCa: 'crl-ocsp', message: 'the CRL and OCSP answers will say revoked' };

describe('certflow revoke', () => {
  let out: string[];
  let route: Awaited<ReturnType<typeof fakeRoute>> | undefined;
  let dir: string;
  beforeEach(() => {
    out = [];
    dir = mkdtempSync(join(tmpdir(), 'certflow-revoke-'));
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => (out.push(String(s)), true));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await route?.close();
    route = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (url: string, ...args: string[]) => buildProgram().parseAsync(['node', 'certflow', '--url', url, '--token', 't', ...args]);

  it('reads thumbprints as openssl prints them and reason names in any case; certificateHold is refused before any call', () => {
    expect(parseThumbprint('ab:cd:' + 'EF'.repeat(18))).toBe('ABCD' + 'EF'.repeat(18));
    expect(parseThumbprint('a'.repeat(64))).toBe('A'.repeat(64));
    expect(() => parseThumbprint('abc')).toThrow(InvalidArgumentError);
    expect(() => parseCaThumbprint('a'.repeat(64))).toThrow(/SHA-1 thumbprint/);
    expect(parseReason('KEYCOMPROMISE')).toBe('keyCompromise');
    expect(() => parseReason('certificateHold')).toThrow(/does not un-revoke/);
    expect(() => parseReason('stolen')).toThrow(/keyCompromise, cACompromise/);
  });

  it('posts the reason, prints where the revocation stands and the server\'s message', async () => {
    route = await fakeRoute(() => [200, first]);
    await run(route.url, 'revoke', T.toLowerCase().match(/../g)!.join(':'), '--reason', 'keycompromise');
    expect(route.calls).toEqual([{ path: `/api/v1/certificates/${T}/revoke`, body: { reason: 'keyCompromise' } }]);
    expect(out.join('')).toBe(`certificate ${T} of request r1: revocation requested (reason keyCompromise, asked 2026-01-01T00:00:00.000Z; at the CA: crl-ocsp)\nthe CRL and OCSP answers will say revoked\n`);
  });

  it('revoked before: says the first revocation stands; offline: the message to revoke by hand', async () => {
    route = await fakeRoute(() => [200, { ...first, state: 'revoked', revokedAt: '2026-01-01T00:00:05.000Z', atCa: 'manual', message: 'issuer "offline" is an offline CA: revoke the certificate at the CA by hand' }]);
    await run(route.url, 'revoke', T, '--reason', 'superseded');
    expect(out.join('')).toContain('revoked 2026-01-01T00:00:05.000Z (reason keyCompromise');
    expect(out.join('')).toContain('it was revoked before with reason keyCompromise: the first revocation stands');
    expect(out.join('')).toContain('revoke the certificate at the CA by hand');
  });

  it('--renew sends renew and the CSR; the answer says it waits for the renewal', async () => {
    const csr = join(dir, 'csr.pem');
    writeFileSync(csr, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n');
    route = await fakeRoute((_t, body) => [200, { ...first, reason: body.reason, state: 'after-renewal', renewalRequestId: 'r2' }]);
    await run(route.url, 'revoke', T, '--reason', 'superseded', '--renew', '--csr', csr, '--json');
    expect(route.calls[0].body).toEqual({ reason: 'superseded', renew: true, csr: expect.stringContaining('BEGIN CERTIFICATE REQUEST') });
    expect(JSON.parse(out.join(''))).toMatchObject({ state: 'after-renewal', renewalRequestId: 'r2' });
  });

  it('an unknown thumbprint is the API\'s 404 with a hint; a bad reason or thumbprint is a usage error (exit 2) and sends nothing', async () => {
    route = await fakeRoute((t) => [404, { error: { code: 'CERTIFICATE_NOT_FOUND', message: `no certificate ${t}` } }]);
    const e = await run(route.url, 'revoke', T, '--reason', 'keyCompromise').catch((x) => x);
    expect(e).toBeInstanceOf(CliError);
    expect(e).toMatchObject({ exitCode: EXIT.ERROR, code: 'CERTIFICATE_NOT_FOUND' });
    expect((e as CliError).line()).toContain('check the thumbprint');
    for (const args of [['revoke', T, '--reason', 'certificateHold'], ['revoke', 'xyz', '--reason', 'keyCompromise'], ['revoke', T]]) {
      await expect(run(route.url, ...args)).rejects.toBeInstanceOf(CommanderError);
    }
    await expect(run(route.url, 'revoke', T, '--reason', 'keyCompromise', '--csr', 'x.pem')).rejects.toMatchObject({ exitCode: EXIT.USAGE });
    await expect(run(route.url, 'bulk', 'revoke', '--issuer', 'internal', '--host-glob', 'a*')).rejects.toMatchObject({ exitCode: EXIT.USAGE });
    expect(route.calls).toHaveLength(1);
  });
});
