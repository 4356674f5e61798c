import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x509 } from './x509.setup';
import { createIntermediateCa, createRootCa, issueFromCsr, issueLeaf } from './certificate-authority.issuer';
import { certificateDetails } from './certificate.details';
import { toPem } from './certificate.parser';
import { checkCsr } from './csr.check';
import { exportPkcs8, generateKeyPair, importPkcs8, signingAlgorithmFor } from './key-pair.factory';
import { parseName } from './distinguished-name.format';
import { spkiFingerprint } from './public-key.describe';

/** `openssl verify` as an independent judge of what this lib issues. */
function opensslVerify(root: x509.X509Certificate, untrusted: x509.X509Certificate[], leaf: x509.X509Certificate, purpose?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ca-'));
  writeFileSync(join(dir, 'root.pem'), toPem(root));
  writeFileSync(join(dir, 'untrusted.pem'), untrusted.map(toPem).join('') || toPem(root));
  writeFileSync(join(dir, 'leaf.pem'), toPem(leaf));
  const args = ['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'untrusted.pem'), ...(purpose ? ['-purpose', purpose] : []), join(dir, 'leaf.pem')];
  return execFileSync('/usr/bin/openssl', args, { stdio: 'pipe' }).toString().trim();
}

describe('certificate authority operations', () => {
  describe('when a root, an intermediate and a leaf are made', () => {
    it('gives CA extensions openssl accepts in strict mode, for EC and RSA', async () => {
      const root = await createRootCa({ subject: 'CN=CA Spec Root, O=Acme', keyType: 'rsa-3072' });
      const intermediate = await createIntermediateCa({ subject: 'CN=CA Spec Intermediate, O=Acme', issuer: root, keyType: 'ec-p384', pathLength: 0 });
      const keys = await generateKeyPair('rsa-2048');
      const leaf = await issueLeaf({ issuer: intermediate, publicKey: keys.publicKey, subject: 'host.example.com', dnsNames: ['host.example.com'], ipAddresses: ['192.0.2.10'] });

      expect(opensslVerify(root.certificate, [intermediate.certificate], leaf, 'sslserver')).toMatch(/: OK$/);
      expect(opensslVerify(root.certificate, [intermediate.certificate], leaf, 'sslclient')).toMatch(/: OK$/);

      const r = certificateDetails(root.certificate);
      expect(r.subject).toBe('CN=CA Spec Root, O=Acme');
      expect(r.issuer).toBe(r.subject);
      expect(r.basicConstraints).toEqual({ ca: true });
      expect(r.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
      expect(root.certificate.getExtension(x509.BasicConstraintsExtension)?.critical).toBe(true);
      expect(root.certificate.getExtension(x509.KeyUsagesExtension)?.critical).toBe(true);
      expect(r.signatureAlgorithm).toBe('sha256WithRSAEncryption');

      const i = certificateDetails(intermediate.certificate);
      expect(i.authorityKeyIdentifier).toBe(r.subjectKeyIdentifier);
      expect(i.publicKey).toEqual({ algorithm: 'EC', curve: 'P-384' });

      const l = certificateDetails(leaf);
      expect(l.subject).toBe('CN=host.example.com');
      expect(l.signatureAlgorithm).toBe('ecdsa-with-SHA384');
      expect(l.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
      expect(leaf.getExtension(x509.KeyUsagesExtension)?.critical).toBe(true);
      expect(l.basicConstraints).toEqual({ ca: false });
      expect(l.authorityKeyIdentifier).toBe(i.subjectKeyIdentifier);
      expect(l.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    });

    it('leaves the AKI out of an intermediate when asked, and the EKU out of a leaf given []', async () => {
      const root = await createRootCa({ subject: 'CN=No AKI Root' });
      const intermediate = await createIntermediateCa({ subject: 'CN=No AKI Intermediate', issuer: root, includeAki: false });
      expect(certificateDetails(intermediate.certificate).authorityKeyIdentifier).toBeNull();
      const keys = await generateKeyPair('ec-p256');
      const leaf = await issueLeaf({ issuer: intermediate, publicKey: keys.publicKey, subject: 'CN=x', dnsNames: ['x'], eku: [] });
      expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)).toBeNull();
      expect(certificateDetails(leaf).keyUsage).toEqual(['digitalSignature']);
    });
  });

  describe('when issuing from a CSR', () => {
    it("issues the CSR's key and SANs, with CN=<host> as the whole subject, for both TLS usages", async () => {
      const root = await createRootCa({ subject: 'CN=CSR Root' });
      const keys = await generateKeyPair('ec-p256');
      const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: parseName('CN=web.example.com, OU=Web, O=Acme'),
        keys,
        signingAlgorithm: signingAlgorithmFor(keys.privateKey),
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'alt.example.com' }, { type: 'ip', value: '10.1.1.1' }])],
      });
      const checked = await checkCsr(csr.toString('pem'), 'web.example.com');
      const notBefore = new Date('2030-01-01T00:00:00Z');
      const notAfter = new Date('2030-04-01T00:00:00Z');
      const cert = await issueFromCsr({ csr: checked, host: 'web.example.com', issuer: root, notBefore, notAfter });
      const d = certificateDetails(cert);
      expect(d.subject).toBe('CN=web.example.com');
      expect(d.subjectAltNames).toEqual(['DNS:web.example.com', 'DNS:alt.example.com', 'IP:10.1.1.1']);
      expect(d.extendedKeyUsage).toEqual(['serverAuth', 'clientAuth']);
      expect([d.notBefore, d.notAfter]).toEqual([notBefore.toISOString(), notAfter.toISOString()]);
      expect(spkiFingerprint(cert.publicKey.rawData)).toBe(checked.spkiFingerprint);
      expect(d.serialNumber).toHaveLength(32);
      expect(await cert.verify({ publicKey: root.certificate.publicKey, signatureOnly: true })).toBe(true);

      const again = await issueFromCsr({ csr: csr, host: 'web.example.com', issuer: root, notBefore, notAfter });
      expect(certificateDetails(again).serialNumber).not.toBe(d.serialNumber);
    });
  });

  describe('when the CSR asks for a subject of its own (several CNs, O, a CA extension)', () => {
    let csr: x509.Pkcs10CertificateRequest;
    let root: Awaited<ReturnType<typeof createRootCa>>;
    beforeAll(async () => {
      root = await createRootCa({ subject: 'CN=Forged Subject Root', keyType: 'rsa-2048' });
      const keys = await generateKeyPair('ec-p256');
      csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: parseName('CN=a.web.example.com, CN=bank.example.org, O=system:masters'),
        keys,
        signingAlgorithm: signingAlgorithmFor(keys.privateKey),
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'b.web.example.com' }]), new x509.BasicConstraintsExtension(true, undefined, true)],
      });
    });

    // The RSA root takes the general path (the ASN.1 library); the ECDSA fast path is in leaf.builder.spec.
    it.each([
      ['a checked CSR', async () => checkCsr(csr.toString('pem'), 'a.web.example.com')],
      ['an unchecked CSR object', async () => csr],
    ] as const)('gives %s a leaf with CN=<host> only, the host and the SANs as names, cA false', async (_label, input) => {
      const cert = await issueFromCsr({ csr: await input(), host: 'a.web.example.com', issuer: root, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 86_400_000) });
      const d = certificateDetails(cert);
      expect(d.subject).toBe('CN=a.web.example.com');
      expect(d.subjectAltNames).toEqual(['DNS:a.web.example.com', 'DNS:b.web.example.com']);
      expect(d.basicConstraints).toMatchObject({ ca: false });
      expect(opensslVerify(root.certificate, [], cert, 'sslserver')).toMatch(/OK$/);
    });
  });

  describe('when a key goes through PKCS#8', () => {
    it.each(['ec-p256', 'ec-p384', 'rsa-2048'] as const)('%s still signs certificates after export and auto import', async (type) => {
      const root = await createRootCa({ subject: `CN=PKCS8 ${type}`, keyType: type });
      const privateKey = await importPkcs8(await exportPkcs8(root.privateKey), 'auto');
      const keys = await generateKeyPair('ec-p256');
      const leaf = await issueLeaf({ issuer: { certificate: root.certificate, privateKey }, publicKey: keys.publicKey, subject: 'CN=after-import' });
      expect(await leaf.verify({ publicKey: root.certificate.publicKey, signatureOnly: true })).toBe(true);
    });
  });
});
