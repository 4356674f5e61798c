import { x509 } from './x509.setup';
import { createIntermediateCa, createRootCa, issueLeaf, type CaMaterial } from './certificate-authority.issuer';
import { subjectKeyIdentifier, authorityKeyIdentifier } from './certificate.details';
import { thumbprintSha1 } from './certificate.thumbprint';
import { generateKeyPair } from './key-pair.factory';
import { clearSignatureCache, signatureChecksPerformed } from './chain-signature.cache';
import { completePath, validateChain, type ChainValidation } from './chain.validation';
import { derToPem, toPem } from './certificate.parser';

const NOW = new Date('2030-06-01T00:00:00Z');
const FROM = new Date('2030-01-01T00:00:00Z');
const UNTIL = new Date('2035-01-01T00:00:00Z');
const tps = (certs: x509.X509Certificate[]) => certs.map(thumbprintSha1);

async function leafOf(issuer: CaMaterial, opts: { notBefore?: Date; notAfter?: Date; subject?: string } = {}): Promise<x509.X509Certificate> {
  const keys = await generateKeyPair('ec-p256');
  return issueLeaf({ issuer, publicKey: keys.publicKey, subject: opts.subject ?? 'CN=host.example.com', dnsNames: ['host.example.com'], notBefore: opts.notBefore ?? FROM, notAfter: opts.notAfter ?? new Date('2031-01-01T00:00:00Z') });
}

function expectStatus<S extends ChainValidation['status']>(result: ChainValidation, status: S): asserts result is Extract<ChainValidation, { status: S }> {
  expect({ status: result.status, detail: result }).toMatchObject({ status });
}

describe('validateChain', () => {
  let root: CaMaterial & { keys: CryptoKeyPair };
  let intermediate: CaMaterial & { keys: CryptoKeyPair };
  let otherRoot: CaMaterial;
  let leaf: x509.X509Certificate;

  beforeAll(async () => {
    root = await createRootCa({ subject: 'CN=Acme Root, O=Acme', notBefore: FROM, notAfter: UNTIL });
    intermediate = await createIntermediateCa({ subject: 'CN=Acme Issuing CA, O=Acme', issuer: root, pathLength: 0, notBefore: FROM, notAfter: UNTIL });
    otherRoot = await createRootCa({ subject: 'CN=Other Root', notBefore: FROM, notAfter: UNTIL });
    leaf = await leafOf(intermediate);
  });

  describe('when a path to a trusted root exists', () => {
    it('is complete via the provided intermediate, leaf → root', async () => {
      const result = await validateChain({ leaf, provided: [intermediate.certificate], roots: [otherRoot.certificate, root.certificate], at: NOW });
      expectStatus(result, 'complete');
      expect(tps(result.path)).toEqual(tps([leaf, intermediate.certificate, root.certificate]));
    });

    it('is complete via the intermediate store', async () => {
      const result = await validateChain({ leaf, provided: [], intermediates: [intermediate.certificate], roots: [root.certificate], at: NOW });
      expectStatus(result, 'complete');
      expect(result.path).toHaveLength(3);
    });

    it('is complete for a leaf issued directly by a trusted root', async () => {
      const direct = await leafOf(root);
      const result = await validateChain({ leaf: direct, roots: [root.certificate], at: NOW });
      expectStatus(result, 'complete');
      expect(tps(result.path)).toEqual(tps([direct, root.certificate]));
    });

    it('backtracks from a same-name intermediate that leads to an untrusted root', async () => {
      const rogueRoot = await createRootCa({ subject: 'CN=Rogue Root', notBefore: FROM, notAfter: UNTIL });
      // Same subject and key as the real intermediate (same SKI), lives longer, so it is tried first.
      const decoy = await createIntermediateCa({ subject: 'CN=Acme Issuing CA, O=Acme', issuer: rogueRoot, keys: intermediate.keys, notBefore: FROM, notAfter: new Date('2040-01-01T00:00:00Z') });
      const result = await validateChain({ leaf, provided: [decoy.certificate, rogueRoot.certificate, intermediate.certificate], roots: [root.certificate], at: NOW });
      expectStatus(result, 'complete');
      expect(tps(result.path)).toEqual(tps([leaf, intermediate.certificate, root.certificate]));
    });
  });

  describe('when no path reaches a trusted root', () => {
    it("names an untrusted self-signed root as the missing root, with its key id", async () => {
      const result = await validateChain({ leaf, provided: [intermediate.certificate, root.certificate], roots: [otherRoot.certificate], at: NOW });
      expectStatus(result, 'incomplete');
      expect(result.missing).toEqual([{ kind: 'root', subject: 'CN=Acme Root, O=Acme', authorityKeyIdentifier: subjectKeyIdentifier(root.certificate) }]);
      expect(tps(result.partialPath)).toEqual(tps([leaf, intermediate.certificate, root.certificate]));
      expect(result.reasons[0]).toContain("'CN=Acme Root, O=Acme'");
      expect(result.reasons[0]).toContain('not in the trusted root store');
    });

    it('names the absent issuer of an intermediate as a root', async () => {
      const result = await validateChain({ leaf, provided: [intermediate.certificate], roots: [], at: NOW });
      expectStatus(result, 'incomplete');
      expect(result.missing).toEqual([{ kind: 'root', subject: 'CN=Acme Root, O=Acme', authorityKeyIdentifier: subjectKeyIdentifier(root.certificate) }]);
    });

    it("names the leaf's absent issuer as the missing intermediate, with the leaf's AKI", async () => {
      const result = await validateChain({ leaf, provided: [], intermediates: [], roots: [root.certificate], at: NOW });
      expectStatus(result, 'incomplete');
      expect(result.missing).toEqual([{ kind: 'intermediate', subject: 'CN=Acme Issuing CA, O=Acme', authorityKeyIdentifier: authorityKeyIdentifier(leaf) }]);
      expect(authorityKeyIdentifier(leaf)).toBe(subjectKeyIdentifier(intermediate.certificate));
      expect(tps(result.partialPath)).toEqual(tps([leaf]));
      expect(result.reasons[0]).toMatch(/intermediate/);
    });
  });

  describe('when the only path breaks a rule', () => {
    it('is invalid with CertificateExpired for an expired leaf, even with no chain at all', async () => {
      const expired = await leafOf(intermediate, { notBefore: FROM, notAfter: new Date('2030-02-01T00:00:00Z') });
      for (const provided of [[intermediate.certificate], []]) {
        const result = await validateChain({ leaf: expired, provided, roots: [root.certificate], at: NOW });
        expectStatus(result, 'invalid');
        expect(result.code).toBe('CertificateExpired');
        expect(result.reasons[0]).toContain('CN=host.example.com');
      }
    });

    it('is invalid with CertificateNotYetValid for a leaf valid only later', async () => {
      const future = await leafOf(intermediate, { notBefore: new Date('2031-01-01T00:00:00Z'), notAfter: new Date('2032-01-01T00:00:00Z') });
      const result = await validateChain({ leaf: future, provided: [intermediate.certificate], roots: [root.certificate], at: NOW });
      expectStatus(result, 'invalid');
      expect(result.code).toBe('CertificateNotYetValid');
    });

    it('is invalid with CertificateExpired for an expired intermediate', async () => {
      const old = await createIntermediateCa({ subject: 'CN=Old CA', issuer: root, notBefore: FROM, notAfter: new Date('2030-03-01T00:00:00Z') });
      const result = await validateChain({ leaf: await leafOf(old), provided: [old.certificate], roots: [root.certificate], at: NOW });
      expectStatus(result, 'invalid');
      expect(result.code).toBe('CertificateExpired');
      expect(result.reasons[0]).toContain("'CN=Old CA'");
    });

    it('is invalid with BadSignature for a leaf signed by another key under the same issuer name', async () => {
      const impostorKey = await generateKeyPair('ec-p256');
      const forged = await leafOf({ certificate: intermediate.certificate, privateKey: impostorKey.privateKey });
      const result = await validateChain({ leaf: forged, provided: [intermediate.certificate], roots: [root.certificate], at: NOW });
      expectStatus(result, 'invalid');
      expect(result.code).toBe('BadSignature');
      expect(result.reasons[0]).toContain("'CN=Acme Issuing CA, O=Acme'");
    });

    it('is invalid with IssuerNotCa when the issuer is not a CA', async () => {
      const notCaKeys = await generateKeyPair('ec-p256');
      const notCa = await issueLeaf({ issuer: root, publicKey: notCaKeys.publicKey, subject: 'CN=Not A CA', notBefore: FROM, notAfter: UNTIL });
      const result = await validateChain({ leaf: await leafOf({ certificate: notCa, privateKey: notCaKeys.privateKey }), provided: [notCa], roots: [root.certificate], at: NOW });
      expectStatus(result, 'invalid');
      expect(result.code).toBe('IssuerNotCa');
      expect(result.reasons[0]).toContain("'CN=Not A CA'");
    });

    it("is invalid with PathTooLong below an intermediate whose pathLength is 0", async () => {
      const sub = await createIntermediateCa({ subject: 'CN=Sub CA', issuer: intermediate, notBefore: FROM, notAfter: UNTIL });
      const result = await validateChain({ leaf: await leafOf(sub), provided: [sub.certificate, intermediate.certificate], roots: [root.certificate], at: NOW });
      expectStatus(result, 'invalid');
      expect(result.code).toBe('PathTooLong');
    });

    it('is invalid with PathTooLong when only a path longer than maxDepth reaches a root', async () => {
      const result = await validateChain({ leaf, provided: [intermediate.certificate], roots: [root.certificate], at: NOW, maxDepth: 2 });
      expectStatus(result, 'invalid');
      expect(result.code).toBe('PathTooLong');
    });
  });

  describe('when CAs cross-sign each other', () => {
    it('terminates on a two-CA loop and reports the gap', async () => {
      const a = await createRootCa({ subject: 'CN=Loop A', notBefore: FROM, notAfter: UNTIL });
      const b = await createRootCa({ subject: 'CN=Loop B', notBefore: FROM, notAfter: UNTIL });
      const aByB = await createIntermediateCa({ subject: 'CN=Loop A', issuer: b, keys: a.keys, notBefore: FROM, notAfter: UNTIL });
      const bByA = await createIntermediateCa({ subject: 'CN=Loop B', issuer: a, keys: b.keys, notBefore: FROM, notAfter: UNTIL });
      const result = await validateChain({ leaf: await leafOf(a), provided: [aByB.certificate, bByA.certificate], roots: [otherRoot.certificate], at: NOW });
      expectStatus(result, 'incomplete');
      expect(result.missing[0]).toMatchObject({ kind: 'root' });
      expect(['CN=Loop A', 'CN=Loop B']).toContain(result.missing[0].subject);
      expect(result.reasons[0]).toMatch(/lead back to each other/);
    });

    it('stays fast on a dense cross-signing mesh, and still finds the trusted root behind it', async () => {
      const cas = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => createRootCa({ subject: `CN=Mesh ${i}`, notBefore: FROM, notAfter: UNTIL })));
      const cross: x509.X509Certificate[] = [];
      for (const subject of cas) for (const issuer of cas) if (subject !== issuer) cross.push((await createIntermediateCa({ subject: `CN=Mesh ${cas.indexOf(subject)}`, issuer, keys: subject.keys, notBefore: FROM, notAfter: UNTIL })).certificate);
      const meshLeaf = await leafOf(cas[0]);

      let started = Date.now();
      const lost = await validateChain({ leaf: meshLeaf, provided: cross, roots: [otherRoot.certificate], at: NOW });
      expect(Date.now() - started).toBeLessThan(2000);
      expectStatus(lost, 'incomplete');

      started = Date.now();
      const found = await validateChain({ leaf: meshLeaf, provided: cross, roots: [cas[5].certificate], at: NOW });
      expect(Date.now() - started).toBeLessThan(2000);
      expectStatus(found, 'complete');
      expect(thumbprintSha1(found.path[found.path.length - 1])).toBe(thumbprintSha1(cas[5].certificate));
    });
  });

  describe('when the same chain is validated again', () => {
    it('reuses cached signature checks', async () => {
      clearSignatureCache();
      await validateChain({ leaf, provided: [intermediate.certificate], roots: [root.certificate], at: NOW });
      expect(signatureChecksPerformed()).toBe(2);
      const again = await validateChain({ leaf, provided: [intermediate.certificate], roots: [root.certificate], at: NOW });
      expect(again.status).toBe('complete');
      expect(signatureChecksPerformed()).toBe(2);
    });
  });

  describe('through the DER fast path', () => {
    const der = (c: x509.X509Certificate) => new Uint8Array(c.rawData);

    it('finds the path validateChain finds, and gives PEM as toPem does', async () => {
      const leaf = await leafOf(intermediate);
      const slow = await validateChain({ leaf, provided: [intermediate.certificate], roots: [root.certificate], at: NOW });
      expectStatus(slow, 'complete');
      const fast = completePath({ leaf: der(leaf), provided: [der(intermediate.certificate)], roots: [root.certificate], at: NOW });
      expect(fast?.map((d) => thumbprintSha1(d))).toEqual(tps(slow.path));
      expect(fast?.map((der) => derToPem(der))).toEqual(slow.path.map(toPem));
    });

    it('gives null where validateChain has something to say: a missing intermediate, an expired leaf, garbage', async () => {
      const leaf = await leafOf(intermediate);
      expect(completePath({ leaf: der(leaf), roots: [root.certificate], at: NOW })).toBeNull();
      const expired = await leafOf(intermediate, { notAfter: new Date('2030-02-01T00:00:00Z') });
      expect(completePath({ leaf: der(expired), provided: [der(intermediate.certificate)], roots: [root.certificate], at: NOW })).toBeNull();
      expect(completePath({ leaf: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), roots: [root.certificate], at: NOW })).toBeNull();
    });
  });
});

