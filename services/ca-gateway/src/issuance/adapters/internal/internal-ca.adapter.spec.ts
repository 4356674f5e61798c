import {
  basicConstraints,
  certificateNames,
  checkCsr,
  decryptPrivateKey,
  extendedKeyUsageNames,
  importPkcs8,
  parseCertificate,
  subjectOf,
  validateChain,
  x509,
} from '@certflow/pki';
import { fixedClock, TestPki, type FixedClock } from '@certflow/testing';
import type { IssueRequest } from '../../ca-adapter.port';
import { InternalCaAdapter } from './internal-ca.adapter';
import { CaKeyMismatchError, caKeyLabel } from './internal-ca.material';
import type { InternalCaStore } from './internal-ca.store';
import { MemoryInternalCaStore as MemoryStore } from './memory-internal-ca.store';

const KEY = Buffer.alloc(32, 1);
const OTHER_KEY = Buffer.alloc(32, 2);
const NOW = '2030-03-01T10:00:00.000Z';
const DAY_MS = 24 * 60 * 60 * 1000;

function adapter(store: InternalCaStore, clock: FixedClock, key = KEY, leafDays = 397) {
  return new InternalCaAdapter({ issuer: 'internal', caName: 'certflow Internal', key, leafDays, clock, store });
}

async function requestFor(host: string, names: string[] = [], subject?: string): Promise<IssueRequest> {
  const pki = await TestPki.create();
  const csr = await pki.csr({ host, names, subject });
  return { requestId: 'req-1', issuer: 'internal', host, csrPem: csr.pem, csr: await checkCsr(csr.pem, host) };
}

describe(InternalCaAdapter, () => {
  let store: MemoryStore;
  let clock: FixedClock;
  let ca: InternalCaAdapter;

  beforeAll(async () => {
    store = new MemoryStore();
    clock = fixedClock(NOW);
    ca = adapter(store, clock);
    await ca.start();
  });

  describe('when it starts for the first time', () => {
    it('creates a root and an issuing intermediate named after the CA', () => {
      const record = store.records.get('internal')!;
      const root = parseCertificate(record.rootPem);
      const intermediate = parseCertificate(record.intermediatePem);
      expect(subjectOf(root)).toBe('CN=certflow Internal Root CA');
      expect(subjectOf(intermediate)).toBe('CN=certflow Internal Issuing CA 1');
      expect(root.issuer).toBe(root.subject);
      expect(basicConstraints(intermediate)).toEqual({ ca: true, pathLength: 0 });
      expect(root.notAfter.getUTCFullYear()).toBe(2040);
      expect(intermediate.notAfter.getUTCFullYear()).toBe(2035);
    });

    it('stores the private keys encrypted: neither PEM nor plain DER', () => {
      const record = store.records.get('internal')!;
      for (const [blob, purpose] of [[record.rootKey, 'root-key'], [record.intermediateKey, 'signing-key']] as const) {
        expect(blob).not.toContain('PRIVATE KEY');
        expect(blob).toMatch(/^v2:raw::/);
        // The key's own DER (what decryption gives back) appears nowhere in the stored parts, however
        // the random ciphertext happens to begin.
        const plain = Buffer.from(decryptPrivateKey(blob, KEY, caKeyLabel('internal', purpose)));
        for (const part of blob.split(':').slice(1)) expect(Buffer.from(part, 'base64').includes(plain.subarray(0, 32))).toBe(false);
        expect(blob).not.toContain(plain.toString('base64').slice(0, 40));
      }
    });

    it('stores keys that decrypt with the configured key only', async () => {
      const record = store.records.get('internal')!;
      const der = decryptPrivateKey(record.intermediateKey, KEY, caKeyLabel('internal', 'signing-key'));
      await expect(importPkcs8(der, 'auto')).resolves.toBeDefined();
      expect(() => decryptPrivateKey(record.intermediateKey, OTHER_KEY, caKeyLabel('internal', 'signing-key'))).toThrow(expect.objectContaining({ code: 'KEY_DECRYPT_FAILED' }));
      expect(() => decryptPrivateKey(record.rootKey, OTHER_KEY, caKeyLabel('internal', 'root-key'))).toThrow(expect.objectContaining({ code: 'KEY_DECRYPT_FAILED' }));
    });
  });

  describe('with a public URL', () => {
    it('gives the leaf the CRL distribution point and OCSP URL of its issuer under that URL', async () => {
      const withUrl = new InternalCaAdapter({ issuer: 'internal', caName: 'certflow Internal', key: KEY, leafDays: 397, clock, store, publicUrl: 'https://pki.example.com' });
      await withUrl.start();
      const issued = await withUrl.issue(await requestFor('www.example.com'));
      if (issued.kind !== 'issued') throw new Error(`expected issued, got ${issued.kind}`);
      const leaf = parseCertificate(issued.certificate);
      const cdp = leaf.getExtension(x509.CRLDistributionPointsExtension)!;
      expect(cdp.distributionPoints.map((d) => d.distributionPoint?.fullName?.[0]?.uniformResourceIdentifier)).toEqual(['https://pki.example.com/pki/internal/crl']);
      const aia = leaf.getExtension(x509.AuthorityInfoAccessExtension)!;
      expect(aia.ocsp.map((g) => g.value)).toEqual(['https://pki.example.com/pki/internal/ocsp']);
      expect(aia.caIssuers).toEqual([]);
    });

    it('gives none without one', async () => {
      const issued = await ca.issue(await requestFor('www.example.com'));
      if (issued.kind !== 'issued') throw new Error(`expected issued, got ${issued.kind}`);
      expect(parseCertificate(issued.certificate).getExtension('2.5.29.31')).toBeNull();
    });
  });

  describe('when it starts again over stored material', () => {
    it('uses the stored CA instead of creating another', async () => {
      const again = adapter(store, clock);
      await again.start();
      expect(store.creations).toBe(1);
      expect(again.rootPem()).toBe(ca.rootPem());
    });

    it('refuses to start with another key, saying which key to use', async () => {
      const wrong = adapter(store, clock, OTHER_KEY);
      const failure = wrong.start();
      await expect(failure).rejects.toBeInstanceOf(CaKeyMismatchError);
      await expect(failure).rejects.toThrow('CERTFLOW_CA_KEY does not decrypt the stored CA key; use the key the CA was created with');
    });
  });

  describe('when it issues from a CSR', () => {
    let req: IssueRequest;
    let outcome: Awaited<ReturnType<InternalCaAdapter['issue']>>;

    beforeAll(async () => {
      req = await requestFor('sfb-pool.corp.example.com', ['sfb01.corp.example.com', '10.1.2.3']);
      outcome = await ca.issue(req);
    });

    it('returns the leaf and, as its chain, the issuing intermediate', () => {
      expect(outcome.kind).toBe('issued');
      if (outcome.kind !== 'issued') return;
      expect(outcome.chain).toEqual([store.records.get('internal')!.intermediatePem]);
    });

    it("certifies the CSR's names with the host first, and carries the CSR key", () => {
      if (outcome.kind !== 'issued') throw new Error(outcome.kind);
      const leaf = parseCertificate(outcome.certificate);
      expect(subjectOf(leaf)).toBe('CN=sfb-pool.corp.example.com');
      const names = certificateNames(leaf);
      expect(names.dnsNames).toEqual(['sfb-pool.corp.example.com', 'sfb01.corp.example.com']);
      expect(names.ipAddresses).toEqual(['10.1.2.3']);
      expect(Buffer.from(leaf.publicKey.rawData)).toEqual(Buffer.from(req.csr.csr.publicKey.rawData));
    });

    it('builds the subject itself from the host: another CN or an O in the CSR does not reach the leaf', async () => {
      const forged = await ca.issue(await requestFor('a.web.example.com', ['b.web.example.com'], 'CN=a.web.example.com, CN=bank.example.org, O=system:masters'));
      if (forged.kind !== 'issued') throw new Error(forged.kind);
      const leaf = parseCertificate(forged.certificate);
      expect(subjectOf(leaf)).toBe('CN=a.web.example.com');
      expect(certificateNames(leaf)).toMatchObject({ dnsNames: ['a.web.example.com', 'b.web.example.com'], ipAddresses: [] });
    });

    it('allows server and client authentication (the Default usage needs both)', () => {
      if (outcome.kind !== 'issued') throw new Error(outcome.kind);
      const leaf = parseCertificate(outcome.certificate);
      expect(extendedKeyUsageNames(leaf)).toEqual(['serverAuth', 'clientAuth']);
      expect(basicConstraints(leaf)).toEqual({ ca: false });
    });

    it('is valid from 5 minutes before now for CERTFLOW_LEAF_DAYS, by the injected clock', () => {
      if (outcome.kind !== 'issued') throw new Error(outcome.kind);
      const leaf = parseCertificate(outcome.certificate);
      expect(leaf.notBefore.toISOString()).toBe('2030-03-01T09:55:00.000Z');
      expect(leaf.notAfter.getTime()).toBe(new Date(NOW).getTime() + 397 * DAY_MS);
    });

    it('chains to the root through the intermediate', async () => {
      if (outcome.kind !== 'issued') throw new Error(outcome.kind);
      const result = await validateChain({
        leaf: parseCertificate(outcome.certificate),
        provided: outcome.chain.map((pem) => parseCertificate(pem)),
        roots: [parseCertificate(ca.rootPem()!)],
        at: clock.now(),
      });
      expect(result.status).toBe('complete');
      if (result.status === 'complete') expect(result.path.map(subjectOf)).toEqual(['CN=sfb-pool.corp.example.com', 'CN=certflow Internal Issuing CA 1', 'CN=certflow Internal Root CA']);
    });
  });

  describe('when the issuing CA is near or past its end', () => {
    it('never issues a leaf that outlives the issuing CA', async () => {
      const late = fixedClock('2035-02-20T10:00:00.000Z');
      const lateCa = adapter(store, late);
      await lateCa.start();
      const outcome = await lateCa.issue(await requestFor('late.example.com'));
      if (outcome.kind !== 'issued') throw new Error(outcome.kind);
      const intermediate = parseCertificate(store.records.get('internal')!.intermediatePem);
      expect(parseCertificate(outcome.certificate).notAfter.getTime()).toBe(intermediate.notAfter.getTime());
    });

    it('refuses once the issuing CA has expired', async () => {
      const expiredCa = adapter(store, fixedClock('2036-01-01T00:00:00.000Z'));
      await expiredCa.start();
      await expect(expiredCa.issue(await requestFor('expired.example.com'))).resolves.toMatchObject({ kind: 'refused', code: 'IssuerCaExpired' });
    });
  });

  it('refuses to issue before it was started', async () => {
    await expect(adapter(new MemoryStore(), clock).issue(await requestFor('early.example.com'))).rejects.toThrow('not started');
  });
});
