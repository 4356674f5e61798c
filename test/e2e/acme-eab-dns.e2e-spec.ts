/**
 * Issue #5, the two points acme-pebble.e2e-spec.ts leaves out, against Debian's Pebble:
 * - external account binding: a Pebble that requires it (MAC keys of its own), an issuer with the
 *   right `eab` (inline `hmacKey`, or `hmacKeyEnv`) is issued; a wrong HMAC key, an unknown key id or
 *   no `eab` at all fail the request with a clear failure.code;
 * - DNS-01: Pebble validates the TXT record certflow publishes on pebble-challtestsrv (Pebble's DNS)
 *   through the `challtestsrv` dnsProvider; Pebble's HTTP-01 port points where nothing listens, so
 *   only DNS-01 can have passed.
 */
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { parseCertificate, subjectOf } from '@certflow/pki';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from './harness';
import { freePort, startPebble, type Pebble } from './acme-pebble';

jest.setTimeout(180_000);

const hmac = () => randomBytes(32).toString('base64url');

describe('the acme issuer against Pebble: EAB and DNS-01 (issue #5)', () => {
  let cf: Certflow;
  let eabPebble: Pebble;
  let dnsPebble: Pebble;
  const keys = { 'kid-1': hmac(), 'kid-2': hmac() };

  beforeAll(async () => {
    const httpPort = await freePort();
    eabPebble = await startPebble({}, { httpPort, eabKeys: keys });
    // Nothing listens on this port: an HTTP-01 validation could not pass.
    dnsPebble = await startPebble({}, { httpPort: await freePort() });
    const acme = (name: string, pebble: Pebble, extra: Record<string, unknown>) => ({
      name,
      type: 'acme',
      directoryUrl: pebble.directoryUrl,
      contact: 'pki@example.com',
      caTrustPem: pebble.tlsCaPem,
      ...extra,
    });
    cf = await startCertflow({
      env: {
        CERTFLOW_ISSUERS: JSON.stringify([
          { name: 'internal', type: 'internal' },
          acme('pebble-eab', eabPebble, { challenge: 'http-01', eab: { kid: 'kid-1', hmacKey: keys['kid-1'] } }),
          acme('pebble-eab-env', eabPebble, { challenge: 'http-01', eab: { kid: 'kid-2', hmacKeyEnv: 'CERTFLOW_TEST_EAB_HMAC' } }),
          acme('pebble-eab-wrong', eabPebble, { challenge: 'http-01', eab: { kid: 'kid-1', hmacKey: hmac() } }),
          acme('pebble-eab-unknown', eabPebble, { challenge: 'http-01', eab: { kid: 'kid-nobody', hmacKey: keys['kid-1'] } }),
          acme('pebble-eab-none', eabPebble, { challenge: 'http-01' }),
          acme('pebble-dns', dnsPebble, { challenge: 'dns-01', dnsProvider: { type: 'challtestsrv', managementUrl: dnsPebble.dnsManagementUrl } }),
        ]),
        CERTFLOW_TEST_EAB_HMAC: keys['kid-2'],
        CERTFLOW_ACME_HTTP_PORT: String(httpPort),
        CERTFLOW_ACME_RETRY_BASE_MS: '200',
        CERTFLOW_ACME_RETRY_MAX_SECONDS: '2',
      },
    });
  });
  afterAll(async () => {
    await cf?.stop();
    await eabPebble?.close();
    await dnsPebble?.close();
  });

  const submit = async (host: string, issuer: string, sans: string[] = [host]) => {
    const res = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: opensslCsr(host, sans), issuer } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const settled = (v: any) => !['SUBMITTED', 'PENDING', 'ISSUED'].includes(v.state);

  it('shows the key id of the binding, never the HMAC key', async () => {
    const res = await cf.api('/api/v1/issuers');
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.items.map((i: any) => [i.name, i]));
    expect(byName['pebble-eab'].externalAccountBinding).toEqual({ kid: 'kid-1' });
    expect(byName['pebble-eab-env'].externalAccountBinding).toEqual({ kid: 'kid-2' });
    expect(byName['pebble-eab-none'].externalAccountBinding).toBeNull();
    expect(byName['pebble-dns'].challenge).toBe('dns-01');
    const text = JSON.stringify(res.body);
    for (const key of Object.values(keys)) expect(text).not.toContain(key);
    expect(text).not.toContain(dnsPebble.dnsManagementUrl);
  });

  it.each([
    ['pebble-eab', 'eab.acme.test'],
    ['pebble-eab-env', 'eab-env.acme.test'],
  ])('issues through %s, an account bound with the right key id and HMAC key', async (issuer, host) => {
    const req = await submit(host, issuer);
    const done = await waitForRequest(cf, req.id, settled, 60_000);
    expect(done.state).toBe('CHAIN_INCOMPLETE');
    expect(done.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'CHAIN_INCOMPLETE']);
    expect(done.certificate.subjectAltNames).toEqual([`DNS:${host}`]);
    expect(done.validation.missing).toEqual([expect.objectContaining({ kind: 'root', subject: subjectOf(parseCertificate(await eabPebble.rootPem())) })]);
  });

  it.each([
    ['pebble-eab-wrong', 'eab-wrong.acme.test', /\(external account binding kid "kid-1"\): 403 unauthorized: external account binding JWS verification error/],
    ['pebble-eab-unknown', 'eab-unknown.acme.test', /\(external account binding kid "kid-nobody"\): 403 unauthorized: the field 'kid' references a key that is not known/],
    ['pebble-eab-none', 'eab-none.acme.test', /\(no external account binding\): 403 externalAccountRequired: /],
  ])('fails a request through %s with AcmeAccountRejected, saying why, when the CA refuses the account', async (issuer, host, why) => {
    const req = await submit(host, issuer);
    const failed = await waitForRequest(cf, req.id, settled, 60_000);
    expect(failed.state).toBe('FAILED');
    expect(failed.failure).toMatchObject({ stage: 'issuance', code: 'AcmeAccountRejected' });
    expect(failed.failure.message).toMatch(new RegExp(`^the ACME CA refused the account of issuer "${issuer}" `));
    expect(failed.failure.message).toMatch(why);
    const text = JSON.stringify(failed);
    for (const key of Object.values(keys)) expect(text).not.toContain(key);
  });

  it('issues through DNS-01: the TXT record on pebble-challtestsrv is what Pebble validates', async () => {
    const req = await submit('dns01.acme.test', 'pebble-dns', ['dns01.acme.test', 'www.dns01.acme.test']);
    const done = await waitForRequest(cf, req.id, settled, 60_000);
    expect(done.state).toBe('CHAIN_INCOMPLETE');
    expect(done.certificate.subjectAltNames.sort()).toEqual(['DNS:dns01.acme.test', 'DNS:www.dns01.acme.test']);
    expect(done.validation.missing[0].subject).toBe(subjectOf(parseCertificate(await dnsPebble.rootPem())));
  });

  it('issues a wildcard through DNS-01, the name and its wildcard sharing one TXT record name', async () => {
    const req = await submit('wild.acme.test', 'pebble-dns', ['wild.acme.test', '*.wild.acme.test']);
    const done = await waitForRequest(cf, req.id, settled, 60_000);
    expect(done.state).toBe('CHAIN_INCOMPLETE');
    expect(done.certificate.subjectAltNames.sort()).toEqual(['DNS:*.wild.acme.test', 'DNS:wild.acme.test']);
  });

  it('removes the DNS-01 TXT records once the order is done', async () => {
    const req = await submit('dnsclean.acme.test', 'pebble-dns');
    const done = await waitForRequest(cf, req.id, settled, 60_000);
    expect(done.state).toBe('CHAIN_INCOMPLETE');
    const resolver = new Resolver();
    resolver.setServers([`127.0.0.1:${dnsPebble.dnsPort}`]);
    const txt = await resolver.resolveTxt('_acme-challenge.dnsclean.acme.test').catch((e: NodeJS.ErrnoException) => (e.code === 'ENODATA' || e.code === 'ENOTFOUND' ? [] : Promise.reject(e)));
    expect(txt).toEqual([]);
  });
});
