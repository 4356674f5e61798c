import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x509 } from '../x509.setup';
import { createIntermediateCa, createRootCa, issueLeaf, issuePemFromCsr, type CaMaterial } from '../certificate-authority.issuer';
import { certificateDetails } from '../certificate.details';
import { parseCertificate, toPem } from '../certificate.parser';
import { checkCsr } from '../csr.check';
import { generateKeyPair, signingAlgorithmFor, type KeyType } from '../key-pair.factory';
import { parseName } from '../distinguished-name.format';
import { spkiFingerprint } from '../public-key.describe';
import { ecdsaSignatureToDer, objectIdentifier, time, unsignedInteger } from './der.writer';
import { hostSubjectDer } from './leaf.builder';

async function csrFor(keyType: KeyType, subject: string, san: { type: 'dns' | 'ip'; value: string }[]) {
  const keys = await generateKeyPair(keyType);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseName(subject),
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: san.length ? [new x509.SubjectAlternativeNameExtension(san)] : [],
  });
  return { keys, pem: csr.toString('pem') };
}

/** `openssl verify -x509_strict` on root → intermediate → leaf, as the independent judge of the encoding. */
function opensslVerify(root: CaMaterial, intermediate: CaMaterial, leafPem: string, at = new Date()): string {
  const dir = mkdtempSync(join(tmpdir(), 'leaf-'));
  writeFileSync(join(dir, 'root.pem'), toPem(root.certificate));
  writeFileSync(join(dir, 'int.pem'), toPem(intermediate.certificate));
  writeFileSync(join(dir, 'leaf.pem'), leafPem);
  const args = ['verify', '-attime', String(Math.floor(at.getTime() / 1000)), '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'int.pem'), join(dir, 'leaf.pem')];
  return execFileSync('/usr/bin/openssl', args, { stdio: 'pipe' }).toString().trim();
}

describe('leaves encoded directly', () => {
  let root: CaMaterial;
  let intermediate: CaMaterial;
  beforeAll(async () => {
    root = await createRootCa({ subject: 'CN=Direct Root', keyType: 'ec-p384' });
    intermediate = await createIntermediateCa({ subject: 'CN=Direct Issuing CA', issuer: root, keyType: 'ec-p384', pathLength: 0 });
  });

  it.each(['ec-p256', 'ec-p384', 'rsa-2048'] as const)('for a %s key, have the profile the general path gives, and openssl accepts them strictly', async (keyType) => {
    const { keys, pem } = await csrFor(keyType, 'CN=web.example.com, O=Acme', [{ type: 'dns', value: 'alt.example.com' }, { type: 'ip', value: '2001:db8::7' }, { type: 'ip', value: '10.1.2.3' }]);
    const checked = await checkCsr(pem, 'web.example.com');
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2050-06-01T12:30:00Z');
    const leafPem = await issuePemFromCsr({ csr: checked, host: 'web.example.com', issuer: intermediate, notBefore, notAfter });
    expect(opensslVerify(root, intermediate, leafPem, new Date('2030-02-01T00:00:00Z'))).toMatch(/OK$/);

    const direct = certificateDetails(parseCertificate(leafPem));
    const general = certificateDetails(
      await issueLeaf({ issuer: intermediate, publicKey: keys.publicKey, subject: 'CN=web.example.com', dnsNames: ['web.example.com', 'alt.example.com'], ipAddresses: ['2001:db8::7', '10.1.2.3'], notBefore, notAfter }),
    );
    const profile = ({ subject, issuer, subjectAltNames, keyUsage, extendedKeyUsage, basicConstraints, subjectKeyIdentifier, authorityKeyIdentifier, notBefore: nb, notAfter: na, signatureAlgorithm, publicKey }: typeof direct) =>
      ({ subject, issuer, subjectAltNames, keyUsage, extendedKeyUsage, basicConstraints, subjectKeyIdentifier, authorityKeyIdentifier, nb, na, signatureAlgorithm, publicKey });
    expect(profile(direct)).toEqual(profile(general));
    expect(direct.keyUsage).toEqual(keyType === 'rsa-2048' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']);
    expect(direct.notAfter).toBe('2050-06-01T12:30:00.000Z');
    expect(spkiFingerprint(parseCertificate(leafPem).publicKey.rawData)).toBe(checked.spkiFingerprint);
    expect(direct.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it('falls back to the general path for an RSA CA, which still verifies', async () => {
    const rsaRoot = await createRootCa({ subject: 'CN=RSA Root', keyType: 'rsa-2048' });
    const rsaInt = await createIntermediateCa({ subject: 'CN=RSA Issuing', issuer: rsaRoot, keyType: 'rsa-2048', pathLength: 0 });
    const { pem } = await csrFor('ec-p256', 'CN=rsa-ca.example.com', []);
    const leafPem = await issuePemFromCsr({ csr: await checkCsr(pem, 'rsa-ca.example.com'), host: 'rsa-ca.example.com', issuer: rsaInt, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
    expect(opensslVerify(rsaRoot, rsaInt, leafPem)).toMatch(/OK$/);
    expect(certificateDetails(parseCertificate(leafPem)).subjectAltNames).toEqual(['DNS:rsa-ca.example.com']);
  });

  describe('when the CSR asks for a subject of its own', () => {
    it('signs CN=<host> only, with the checked names as SANs: no other CN, no O', async () => {
      const { pem } = await csrFor('ec-p256', 'CN=a.web.example.com, CN=bank.example.org, O=system:masters', [{ type: 'dns', value: 'b.web.example.com' }]);
      const leafPem = await issuePemFromCsr({ csr: await checkCsr(pem, 'a.web.example.com'), host: 'a.web.example.com', issuer: intermediate, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
      const leaf = parseCertificate(leafPem);
      expect(certificateDetails(leaf).subject).toBe('CN=a.web.example.com');
      expect(Buffer.from(leaf.subjectName.toArrayBuffer())).toEqual(hostSubjectDer('a.web.example.com'));
      expect(certificateDetails(leaf).subjectAltNames).toEqual(['DNS:a.web.example.com', 'DNS:b.web.example.com']);
      expect(opensslVerify(root, intermediate, leafPem)).toMatch(/OK$/);
    });

    it('names a host the CSR has only as a SAN, as an IP SAN when it is an address', async () => {
      const { pem } = await csrFor('ec-p256', 'CN=Some Server, O=Acme', [{ type: 'ip', value: '10.9.8.7' }]);
      const leafPem = await issuePemFromCsr({ csr: await checkCsr(pem, '10.9.8.7'), host: '10.9.8.7', issuer: intermediate, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
      const details = certificateDetails(parseCertificate(leafPem));
      expect([details.subject, details.subjectAltNames]).toEqual(['CN=10.9.8.7', ['IP:10.9.8.7']]);
    });

    it('leaves the subject empty and the SAN critical for a host longer than a CN may be (64)', async () => {
      const host = `${'a'.repeat(60)}.web.example.com`;
      const { pem } = await csrFor('ec-p256', 'CN=short.web.example.com', [{ type: 'dns', value: host }]);
      const leafPem = await issuePemFromCsr({ csr: await checkCsr(pem, host), host, issuer: intermediate, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
      const leaf = parseCertificate(leafPem);
      expect(certificateDetails(leaf).subject).toBe('');
      expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.critical).toBe(true);
      expect(certificateDetails(leaf).subjectAltNames).toEqual([`DNS:${host}`]);
      expect(opensslVerify(root, intermediate, leafPem)).toMatch(/OK$/);
    });
  });

  it('uses the serial number it is given', async () => {
    const { pem } = await csrFor('ec-p256', 'CN=serial.example.com', []);
    const leafPem = await issuePemFromCsr({ csr: await checkCsr(pem, 'serial.example.com'), host: 'serial.example.com', issuer: intermediate, notBefore: new Date(), notAfter: new Date(Date.now() + 1000), serialNumber: '7f0102' });
    expect(certificateDetails(parseCertificate(leafPem)).serialNumber).toBe('7F0102');
  });
});

describe('DER writer', () => {
  it('encodes times as RFC 5280 asks: UTCTime until 2049, GeneralizedTime from 2050', () => {
    expect(time(new Date('2049-12-31T23:59:59.900Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  });

  it('encodes integers minimally and never negative', () => {
    expect(unsignedInteger(Buffer.from([0, 0, 0x7f])).toString('hex')).toBe('02017f');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(unsignedInteger(Buffer.from([0])).toString('hex')).toBe('020100');
  });

  it('encodes object identifiers with multi-byte arcs', () => {
    expect(objectIdentifier('1.2.840.10045.4.3.3').toString('hex')).toBe('06082a8648ce3d040303');
  });

  it('turns a raw ECDSA signature into an Ecdsa-Sig-Value', () => {
    const raw = Buffer.concat([Buffer.from([0x80, ...Array(31).fill(1)]), Buffer.from([0, 0, ...Array(30).fill(2)])]);
    const der = ecdsaSignatureToDer(raw);
    expect(der.subarray(0, 5).toString('hex')).toBe('3043022100');
    expect(der.subarray(37, 39).toString('hex')).toBe('021e');
  });
});
