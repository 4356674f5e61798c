/**
 * The size and count limits of docs/hostile-input.md, each at and just past its boundary, against the
 * running system: a stable 4xx code, a message that names the limit, and nothing stored when a limit
 * hits. The trust-import limit is lowered through its environment variable to show it is configurable.
 */
import { createIntermediateCa, createRootCa, issueLeaf, toPem, type CaMaterial } from '@certflow/pki';
import { testCsr } from '@certflow/testing';
import { startCertflow, waitForRequest, type Certflow } from '../harness';
import { hierarchy, importTrust, leafFor, pendingOfflineRequest, upload, type OfflineRequest } from '../seed-flow.helpers';
import { countChanges, settledStoreCounts } from './system-state';

jest.setTimeout(120_000);

const IMPORT_MAX = 5;
const BODY_MAX = 256 * 1024;

const settled = (cf: Certflow) => settledStoreCounts(cf, { tries: 20, everyMs: 300 });

describe('hostile-input limits', () => {
  let cf: Certflow;
  let pending: OfflineRequest;
  let ca: { root: CaMaterial & { pem: string }; intermediate: CaMaterial & { pem: string } };

  beforeAll(async () => {
    cf = await startCertflow({ env: { CERTFLOW_TRUST_IMPORT_MAX_CERTIFICATES: String(IMPORT_MAX) } });
    ca = await hierarchy('limits');
    pending = await pendingOfflineRequest(cf, 'limits.example.test');
  });
  afterAll(async () => {
    await cf?.stop();
  });

  /** Runs `call` and expects it to be refused with `status`/`code`, a message matching `says`, and no stored change. */
  async function refusedWithoutTrace(call: () => Promise<{ status: number; body: any }>, status: number, code: string, says: RegExp) {
    const before = await settled(cf);
    const res = await call();
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    expect(res.body.error.message).toMatch(says);
    expect(countChanges(before, await settled(cf))).toEqual([]);
  }

  describe('request bodies', () => {
    it(`refuses a JSON body over ${BODY_MAX} bytes with 413 PAYLOAD_TOO_LARGE naming the limit`, async () => {
      const csr = (await testCsr({ host: 'big.example.test' })).pem;
      await refusedWithoutTrace(() => cf.api('/api/v1/requests', { method: 'POST', json: { host: 'big.example.test', csr, friendlyName: 'x'.repeat(BODY_MAX) } }), 413, 'PAYLOAD_TOO_LARGE', new RegExp(`at most ${BODY_MAX} bytes.*CERTFLOW_MAX_BODY_BYTES`));
    });

    it('refuses a PEM text body over the limit the same way', async () => {
      await refusedWithoutTrace(() => importTrust(cf, 'roots', ca.root.pem.repeat(Math.ceil((BODY_MAX + 1) / ca.root.pem.length)), 'text/plain'), 413, 'PAYLOAD_TOO_LARGE', new RegExp(`at most ${BODY_MAX} bytes`));
    });

    it('refuses a PEM text body within the limit that outgrows one NATS message on its way (control characters) with 413, not 503', async () => {
      // Each control character travels on as a six-character JSON escape: 200 KiB become 1.2 MB, more than NATS's 1 MiB.
      const body = `${ca.root.pem}${'\u0001'.repeat(200 * 1024)}`;
      await refusedWithoutTrace(() => importTrust(cf, 'roots', body, 'text/plain'), 413, 'PAYLOAD_TOO_LARGE', /bytes once encoded.*one NATS message/);
    });

    it('refuses JSON nested deeper than 32 levels with 400 JSON_TOO_DEEP, and takes 32', async () => {
      const nested = (n: number) => `{"host":"deep.example.test","usages":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
      await refusedWithoutTrace(() => cf.api('/api/v1/requests', { method: 'POST', body: nested(33), headers: { 'content-type': 'application/json' } }), 400, 'JSON_TOO_DEEP', /more than 32 levels/);
      // At the limit the body parses and is refused for what it says, not for its depth.
      const atLimit = await cf.api('/api/v1/requests', { method: 'POST', body: nested(32), headers: { 'content-type': 'application/json' } });
      expect(atLimit.status).toBe(400);
      expect(atLimit.body.error.code).not.toBe('JSON_TOO_DEEP');
    });
  });

  describe('submissions', () => {
    it('refuses a CSR over 64 KiB with CSR_TOO_LARGE', async () => {
      const csr = (await testCsr({ host: 'csr.example.test' })).pem;
      await refusedWithoutTrace(() => cf.api('/api/v1/requests', { method: 'POST', json: { host: 'csr.example.test', csr: csr + ' '.repeat(64 * 1024) } }), 400, 'CSR_TOO_LARGE', /at most 65536/);
    });

    it('refuses more than 16 usages with TOO_MANY_USAGES, on submit and on assign', async () => {
      const csr = (await testCsr({ host: 'usages.example.test' })).pem;
      await refusedWithoutTrace(() => cf.api('/api/v1/requests', { method: 'POST', json: { host: 'usages.example.test', csr, usages: Array(17).fill('Default') } }), 400, 'TOO_MANY_USAGES', /at most 16/);
      await refusedWithoutTrace(() => cf.api(`/api/v1/requests/${pending.id}/assign`, { method: 'POST', json: { usages: Array(17).fill('Default') } }), 400, 'TOO_MANY_USAGES', /at most 16/);
    });

    it('refuses a host name over 253 characters with INVALID_HOST', async () => {
      const host = `${'a'.repeat(60)}.`.repeat(4) + 'example.test';
      expect(host.length).toBeGreaterThan(253);
      await refusedWithoutTrace(() => cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: 'x' } }), 400, 'INVALID_HOST', /FQDN/);
    });
  });

  describe(`trust imports (limit lowered to ${IMPORT_MAX} by CERTFLOW_TRUST_IMPORT_MAX_CERTIFICATES)`, () => {
    it(`refuses ${IMPORT_MAX + 1} certificates with TOO_MANY_CERTIFICATES, importing none of them`, async () => {
      const others = await Promise.all(Array.from({ length: IMPORT_MAX }, (_, i) => createRootCa({ subject: `CN=Limit Root ${i}` })));
      const text = [ca.root.pem, ...others.map((r) => toPem(r.certificate))].join('');
      await refusedWithoutTrace(() => importTrust(cf, 'roots', text), 400, 'TOO_MANY_CERTIFICATES', new RegExp(`at most ${IMPORT_MAX}`));
    });

    it('counts the blocks before reading any: damaged blocks past the limit are refused for their number', async () => {
      const junk = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'.repeat(IMPORT_MAX + 1);
      await refusedWithoutTrace(() => importTrust(cf, 'roots', junk), 400, 'TOO_MANY_CERTIFICATES', /6 certificates/);
    });

    it(`imports exactly ${IMPORT_MAX}`, async () => {
      const roots = await Promise.all(Array.from({ length: IMPORT_MAX }, (_, i) => createRootCa({ subject: `CN=Limit Ok Root ${i}` })));
      const res = await importTrust(cf, 'roots', roots.map((r) => toPem(r.certificate)).join(''));
      expect(res.status).toBe(201);
      expect(res.body.imported).toHaveLength(IMPORT_MAX);
    });
  });

  describe('offline uploads', () => {
    it('refuses a chain of 11 certificates (text or array) with TOO_MANY_CERTIFICATES; the request stays PENDING', async () => {
      const leaf = await leafFor(pending, ca.intermediate);
      const chain = Array(11).fill(ca.intermediate.pem) as string[];
      await refusedWithoutTrace(() => upload(cf, pending.id, leaf, chain.join('')), 400, 'TOO_MANY_CERTIFICATES', /holds 11 certificates; at most 10/);
      await refusedWithoutTrace(() => upload(cf, pending.id, leaf, chain), 400, 'TOO_MANY_CERTIFICATES', /holds 11 certificates; at most 10/);
      expect((await cf.api(`/api/v1/requests/${pending.id}`)).body.state).toBe('PENDING');
    });

    it('takes a chain of 10, and path building stops at 8 certificates: a longer path fails as PathTooLong', async () => {
      // root → 9 intermediates → leaf: 11 certificates on the only path.
      const root = await createRootCa({ subject: 'CN=Deep Root, O=certflow limits' });
      const intermediates: CaMaterial[] = [];
      let issuer: CaMaterial = root;
      for (let i = 1; i <= 9; i++) {
        issuer = await createIntermediateCa({ subject: `CN=Deep CA ${i}, O=certflow limits`, issuer });
        intermediates.push(issuer);
      }
      expect((await importTrust(cf, 'roots', toPem(root.certificate))).status).toBe(201);
      const req = await pendingOfflineRequest(cf, 'deep.limits.example.test');
      const leaf = toPem(await issueLeaf({ issuer, publicKey: req.keys.publicKey, subject: `CN=${req.host}`, dnsNames: [req.host] }));
      const chain = [...intermediates].reverse().map((c) => toPem(c.certificate));
      expect((await upload(cf, req.id, leaf, [...chain, toPem(root.certificate)])).status).toBe(202);
      const done = await waitForRequest(cf, req.id, (v) => v.state === 'FAILED' || v.state === 'ASSIGNED' || v.state === 'CHAIN_INCOMPLETE');
      expect(done.state).toBe('FAILED');
      expect(done.validation.status).toBe('invalid');
      expect(done.validation.reasons.join(' ')).toMatch(/reaches a trusted root within 8 certificates/);
    });
  });
});
