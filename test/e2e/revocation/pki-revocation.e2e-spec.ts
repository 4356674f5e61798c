/**
 * Issue #19, part P end to end: the four services as processes, the internal CA's CRL and OCSP
 * served on the public /pki routes and checked with the real openssl tools, and an ACME revocation
 * that Pebble then reports. Each revocation goes through the public route,
 * POST /api/v1/certificates/{thumbprint}/revoke.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RevocationReason } from '@certflow/contracts';
import { parseCertificate, thumbprintSha1 } from '@certflow/pki';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from '../harness';
import { freePort, pebbleIssuers, startPebble, type Pebble } from '../acme-pebble';

jest.setTimeout(240_000);

const openssl = (args: string[]): string => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}${r.status === 0 ? '' : 'FAILED'}`;
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('revocation at the CA: CRL and OCSP on /pki, ACME revokeCert (issue #19, P)', () => {
  let cf: Certflow;
  let pebble: Pebble;
  const dir = mkdtempSync(join(tmpdir(), 'pki-e2e-'));

  beforeAll(async () => {
    pebble = await startPebble({ PEBBLE_WFE_NONCEREJECT: '0' }, { httpPort: await freePort() });
    cf = await startCertflow({ env: { ...pebbleIssuers({ pebble }), CERTFLOW_ACME_RETRY_BASE_MS: '200', CERTFLOW_ACME_RETRY_MAX_SECONDS: '2' } });
  });
  afterAll(async () => {
    await cf?.stop();
    await pebble?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A request of `issuer` for `host`, waited for until its certificate is there. */
  async function certificateFor(host: string, issuer: string) {
    const res = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: opensslCsr(host, [host]), issuer } });
    expect(res.status).toBe(201);
    const view = await waitForRequest(cf, res.body.id, (v) => !!v.certificate?.pem || v.state === 'FAILED', 90_000);
    expect(view.state).not.toBe('FAILED');
    return { requestId: view.id as string, host, pem: view.certificate.pem as string };
  }

  async function requestRevocation(leaf: { requestId: string; host: string; pem: string }, issuer: string, reason: RevocationReason) {
    const thumbprint = thumbprintSha1(parseCertificate(leaf.pem));
    const res = await cf.api(`/api/v1/certificates/${thumbprint}/revoke`, { method: 'POST', json: { reason } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ requestId: leaf.requestId, thumbprint, reason, atCa: issuer === 'internal' ? 'crl-ocsp' : 'acme' });
    return res.body;
  }

  async function crlDer(): Promise<{ der: Buffer; headers: Headers }> {
    const res = await fetch(`${cf.baseUrl}/pki/internal/crl`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pkix-crl');
    return { der: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  }

  it('serves the CRL and OCSP of the internal CA on /pki without a token; openssl rejects the revoked leaf and accepts the good one', async () => {
    const revoked = await certificateFor('revoked.pki.example.com', 'internal');
    const good = await certificateFor('good.pki.example.com', 'internal');
    // The internal CA's intermediate and root: the validated path's, looked up by thumbprint.
    const validated = await waitForRequest(cf, revoked.requestId, (v) => v.validation?.status === 'complete', 30_000);
    const [, intermediate, root] = validated.validation.path as string[];
    const pemOf = async (thumbprint: string): Promise<string> => (await cf.api(`/api/v1/certificates/${thumbprint}`)).body.pem;
    writeFileSync(join(dir, 'int.pem'), await pemOf(intermediate));
    writeFileSync(join(dir, 'root.pem'), await pemOf(root));
    writeFileSync(join(dir, 'revoked.pem'), revoked.pem);
    writeFileSync(join(dir, 'good.pem'), good.pem);
    expect(openssl(['x509', '-in', join(dir, 'good.pem'), '-noout', '-ext', 'crlDistributionPoints,authorityInfoAccess'])).toContain('/pki/internal/ocsp');

    await requestRevocation(revoked, 'internal', 'keyCompromise');
    const { der, headers } = await until('the CRL to list the revoked leaf', async () => {
      const got = await crlDer();
      writeFileSync(join(dir, 'crl.der'), got.der);
      return openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-noout', '-text']).includes('Key Compromise') ? got : undefined;
    });
    expect(headers.get('cache-control')).toMatch(/max-age=(\d+)/);
    expect(Number(/max-age=(\d+)/.exec(headers.get('cache-control')!)![1])).toBeLessThanOrEqual(3600);
    writeFileSync(join(dir, 'crl.der'), der);
    openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-out', join(dir, 'crl.pem')]);
    expect(openssl(['crl', '-in', join(dir, 'crl.pem'), '-CAfile', join(dir, 'int.pem'), '-noout', '-verify'])).toContain('verify OK');

    const check = ['-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'int.pem'), '-CRLfile', join(dir, 'crl.pem'), '-crl_check'];
    expect(openssl(['verify', ...check, join(dir, 'revoked.pem')])).toContain('certificate revoked');
    expect(openssl(['verify', ...check, join(dir, 'good.pem')])).toContain(': OK');

    // openssl ocsp over HTTP POST, nonce checked, response verified against the root.
    const ocsp = (leaf: string) =>
      openssl(['ocsp', '-url', `${cf.baseUrl}/pki/internal/ocsp`, '-issuer', join(dir, 'int.pem'), '-cert', join(dir, leaf), '-CAfile', join(dir, 'root.pem'), '-verify_other', join(dir, 'int.pem')]);
    const revokedAnswer = ocsp('revoked.pem');
    expect(revokedAnswer).toContain('Response verify OK');
    expect(revokedAnswer).toContain('revoked.pem: revoked');
    expect(revokedAnswer).toContain('Reason: keyCompromise');
    const goodAnswer = ocsp('good.pem');
    expect(goodAnswer).toContain('Response verify OK');
    expect(goodAnswer).toContain('good.pem: good');
    for (const answer of [revokedAnswer, goodAnswer]) expect(answer).not.toContain('WARNING');

    // GET with the base64 request in the path (RFC 6960 appendix A).
    openssl(['ocsp', '-issuer', join(dir, 'int.pem'), '-cert', join(dir, 'good.pem'), '-no_nonce', '-reqout', join(dir, 'get.req')]);
    const b64 = encodeURIComponent(readFileSync(join(dir, 'get.req')).toString('base64'));
    const get = await fetch(`${cf.baseUrl}/pki/internal/ocsp/${b64}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/ocsp-response');
    writeFileSync(join(dir, 'get.resp'), Buffer.from(await get.arrayBuffer()));
    expect(openssl(['ocsp', '-respin', join(dir, 'get.resp'), '-issuer', join(dir, 'int.pem'), '-cert', join(dir, 'good.pem'), '-no_nonce', '-CAfile', join(dir, 'root.pem'), '-verify_other', join(dir, 'int.pem')])).toContain('good.pem: good');

    expect((await fetch(`${cf.baseUrl}/pki/pebble/crl`)).status).toBe(404);
    expect((await fetch(`${cf.baseUrl}/pki/nosuch/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: new Uint8Array(20) })).status).toBe(404);
    const tooBig = await fetch(`${cf.baseUrl}/pki/internal/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: new Uint8Array(11 * 1024) });
    expect(tooBig.status).toBe(413);
  });

  it('revokes an ACME certificate at the CA: Pebble then reports it revoked', async () => {
    const leaf = await certificateFor('revoke.acme.test', 'pebble');
    const serial = parseCertificate(leaf.pem).serialNumber;
    expect((await pebble.certStatus(serial)).Status).toBe('Valid');
    await requestRevocation(leaf, 'pebble', 'cessationOfOperation');
    const status = await until('Pebble to report the certificate revoked', async () => {
      const s = await pebble.certStatus(serial);
      return s.Status === 'Revoked' ? s : undefined;
    }, 60_000);
    expect(status.Status).toBe('Revoked');
    const view = await waitForRequest(cf, leaf.requestId, (v) => v.state === 'REVOKED', 30_000);
    expect(view.revocation).toMatchObject({ reason: 'cessationOfOperation', state: 'revoked', atCa: 'acme' });
  });
});
