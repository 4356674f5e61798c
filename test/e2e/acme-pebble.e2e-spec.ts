/**
 * Issue #5, the `acme` issuer end to end: the four services as processes, Pebble from Debian as the
 * ACME CA, HTTP-01 validated for real (Pebble's DNS answers 127.0.0.1, certflow's responder answers
 * the token). Pebble's root is new at every start and not trusted: the seed's flow with a real CA.
 */
import { parseCertificate, subjectOf } from '@certflow/pki';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from './harness';
import { freePort, pebbleIssuers, startPebble, type Pebble } from './acme-pebble';

jest.setTimeout(180_000);

describe('the acme issuer against Pebble (issue #5)', () => {
  let cf: Certflow;
  let pebble: Pebble;
  let noisy: Pebble;

  beforeAll(async () => {
    const httpPort = await freePort();
    pebble = await startPebble({ PEBBLE_WFE_NONCEREJECT: '0' }, { httpPort });
    // Rejects 60% of good nonces: acme-client retries badNonce itself, the gateway retries the rest.
    noisy = await startPebble({ PEBBLE_WFE_NONCEREJECT: '60' }, { httpPort });
    cf = await startCertflow({
      env: { ...pebbleIssuers({ pebble, 'pebble-noisy': noisy }), CERTFLOW_ACME_RETRY_BASE_MS: '200', CERTFLOW_ACME_RETRY_MAX_SECONDS: '2' },
    });
  });
  afterAll(async () => {
    await cf?.stop();
    await pebble?.close();
    await noisy?.close();
  });

  const submit = async (host: string, issuer: string, extra: Record<string, unknown> = {}) => {
    const res = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: opensslCsr(host, [host]), issuer, ...extra } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const beyondIssued = (v: any) => !['SUBMITTED', 'PENDING', 'ISSUED'].includes(v.state);

  it('lists the configured issuers without secrets', async () => {
    const res = await cf.api('/api/v1/issuers');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: any) => [i.name, i.type])).toEqual([
      ['internal', 'internal'],
      ['pebble', 'acme'],
      ['pebble-noisy', 'acme'],
    ]);
    expect(res.body.items[1]).toEqual({
      name: 'pebble',
      type: 'acme',
      directoryUrl: pebble.directoryUrl,
      contact: ['mailto:pki@example.com'],
      challenge: 'http-01',
      externalAccountBinding: null,
      accountKey: 'generated',
      caTrust: 'system+custom',
    });
    expect(JSON.stringify(res.body)).not.toContain('BEGIN');
    expect((await cf.api('/api/v1/issuers', { token: null })).status).toBe(401);
  });

  it("goes PENDING with the order's state and URL, stops at CHAIN_INCOMPLETE naming Pebble's root, and after the root is imported is ASSIGNABLE, then ASSIGNED", async () => {
    const req = await submit('web01.acme.test', 'pebble');
    const pending = await waitForRequest(cf, req.id, (v) => /ACME order \w+ https:\/\/127\.0\.0\.1:\d+\//.test(v.pending?.detail ?? '') || beyondIssued(v), 30_000);
    if (pending.state === 'PENDING') expect(pending.pending.detail).toMatch(/^ACME order (pending|ready|processing|valid) https:\/\//);

    const incomplete = await waitForRequest(cf, req.id, beyondIssued, 60_000);
    expect(incomplete.state).toBe('CHAIN_INCOMPLETE');
    expect(incomplete.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'CHAIN_INCOMPLETE']);
    expect(incomplete.certificate.subjectAltNames).toEqual(['DNS:web01.acme.test']);
    const root = await pebble.rootPem();
    expect(incomplete.validation.missing).toEqual([expect.objectContaining({ kind: 'root', subject: subjectOf(parseCertificate(root)) })]);
    expect(incomplete.validation.missing[0].subject).toContain('Pebble Root CA');
    expect(incomplete.pending).toBeUndefined();

    const imported = await cf.api('/api/v1/trust/roots', { method: 'POST', body: root, headers: { 'content-type': 'text/plain' } });
    expect(imported.status).toBe(201);
    const assignable = await waitForRequest(cf, req.id, (v) => v.state !== 'CHAIN_INCOMPLETE', 30_000);
    expect(assignable.state).toBe('ASSIGNABLE');
    expect(assignable.validation.status).toBe('complete');

    const assign = await cf.api(`/api/v1/requests/${req.id}/assign`, { method: 'POST', json: { usages: ['WebServicesInternal', 'WebServicesExternal'] } });
    expect(assign.status).toBe(202);
    const done = await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 30_000);
    expect(done.state).toBe('ASSIGNED');
    expect(done.thumbprint).toBe(incomplete.thumbprint);
  });

  it('fails with AcmeOrderInvalid when the CA cannot validate the challenge', async () => {
    // Pebble's DNS sends this name to 127.0.0.2, where nothing answers HTTP-01.
    await pebble.addA('unreachable.acme.test', '127.0.0.2');
    const req = await submit('unreachable.acme.test', 'pebble');
    const failed = await waitForRequest(cf, req.id, (v) => v.state !== 'SUBMITTED' && v.state !== 'PENDING', 60_000);
    expect(failed.state).toBe('FAILED');
    expect(failed.failure).toMatchObject({ stage: 'issuance', code: 'AcmeOrderInvalid' });
    expect(failed.failure.message).toContain('unreachable.acme.test');
  });

  it('still issues when Pebble rejects 60% of good nonces', async () => {
    const req = await submit('nonce.acme.test', 'pebble-noisy');
    const issued = await waitForRequest(cf, req.id, beyondIssued, 90_000);
    expect(issued.state).toBe('CHAIN_INCOMPLETE');
    expect(issued.validation.missing[0].subject).toBe(subjectOf(parseCertificate(await noisy.rootPem())));
  });

  it('keeps a request PENDING while Pebble is down, saying why, and completes it when Pebble is back', async () => {
    await pebble.stop();
    const req = await submit('down.acme.test', 'pebble');
    const waiting = await waitForRequest(cf, req.id, (v) => /CA unreachable/.test(v.pending?.detail ?? ''), 30_000);
    expect(waiting.state).toBe('PENDING');
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await cf.api(`/api/v1/requests/${req.id}`)).body.state).toBe('PENDING');

    await pebble.start();
    const done = await waitForRequest(cf, req.id, beyondIssued, 60_000);
    expect(done.state).toBe('CHAIN_INCOMPLETE');
    // A new Pebble: a new root, not yet imported.
    expect(done.validation.missing[0].subject).toBe(subjectOf(parseCertificate(await pebble.rootPem())));
  });

  it('resumes an order when Pebble is stopped in the middle of it, with a new order once Pebble has forgotten the old one', async () => {
    const req = await submit('midway.acme.test', 'pebble');
    const inFlight = await waitForRequest(cf, req.id, (v) => /ACME order \w+ https/.test(v.pending?.detail ?? '') || beyondIssued(v), 30_000);
    await pebble.stop();
    const stoppedMidOrder = inFlight.state === 'PENDING';
    await new Promise((r) => setTimeout(r, 3_000));
    await pebble.start();
    const done = await waitForRequest(cf, req.id, beyondIssued, 60_000);
    expect(['CHAIN_INCOMPLETE', 'ASSIGNABLE', 'ASSIGNED']).toContain(done.state);
    expect(done.history.filter((h: any) => h.state === 'ISSUED')).toHaveLength(1);
    if (stoppedMidOrder) expect(cf.logs.get('ca-gateway')!.join('')).toContain(`request ${req.id}: ACME order gone at the CA`);
  });

  it('resumes the order it had after the gateway restarts, without a second order', async () => {
    const req = await submit('restart.acme.test', 'pebble');
    await waitForRequest(cf, req.id, (v) => /ACME order \w+ https/.test(v.pending?.detail ?? '') || beyondIssued(v), 30_000);
    await cf.stopService('ca-gateway');
    cf.startService('ca-gateway');
    const done = await waitForRequest(cf, req.id, beyondIssued, 60_000);
    expect(done.state).toBe('CHAIN_INCOMPLETE');
    expect(done.history.filter((h: any) => h.state === 'ISSUED')).toHaveLength(1);
    const orderCreations = cf.logs.get('ca-gateway')!.join('').split('\n').filter((l) => l.includes(`request ${req.id}: ACME order`) && !l.includes('not created'));
    const orderUrls = new Set(orderCreations.map((l) => /https:\/\/\S+/.exec(l)?.[0].replace(/[",]+$/, '')));
    expect(orderUrls.size).toBe(1);
  });
});
