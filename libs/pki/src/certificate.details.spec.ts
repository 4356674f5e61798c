import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIntermediateCa, createRootCa, issueLeaf } from './certificate-authority.issuer';
import { certificateDetails, certificateNames } from './certificate.details';
import { parseCertificate, toPem } from './certificate.parser';
import { thumbprintSha1, thumbprintSha256 } from './certificate.thumbprint';
import { generateKeyPair } from './key-pair.factory';

describe('certificateDetails', () => {
  describe('when the certificate is a leaf this lib issued', () => {
    it('fills every field of the contract', async () => {
      const root = await createRootCa({ subject: 'CN=Details Root, O=Acme, C=US' });
      const intermediate = await createIntermediateCa({ subject: 'CN=Details CA, O=Acme', issuer: root, pathLength: 0 });
      const keys = await generateKeyPair('rsa-2048');
      const leaf = await issueLeaf({
        issuer: intermediate,
        publicKey: keys.publicKey,
        subject: 'CN=pool.example.com, O=Acme',
        dnsNames: ['pool.example.com', 'www.example.com'],
        ipAddresses: ['10.0.0.1'],
        notBefore: new Date('2030-01-01T00:00:00Z'),
        notAfter: new Date('2031-01-01T00:00:00Z'),
        serialNumber: '1a2b3c',
      });
      const d = certificateDetails(leaf);
      expect(d).toEqual({
        thumbprint: thumbprintSha1(leaf),
        thumbprintSha256: thumbprintSha256(leaf),
        subject: 'CN=pool.example.com, O=Acme',
        issuer: 'CN=Details CA, O=Acme',
        serialNumber: '1A2B3C',
        notBefore: '2030-01-01T00:00:00.000Z',
        notAfter: '2031-01-01T00:00:00.000Z',
        subjectAltNames: ['DNS:pool.example.com', 'DNS:www.example.com', 'IP:10.0.0.1'],
        publicKey: { algorithm: 'RSA', size: 2048 },
        signatureAlgorithm: 'ecdsa-with-SHA256',
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        extendedKeyUsage: ['serverAuth', 'clientAuth'],
        basicConstraints: { ca: false },
        subjectKeyIdentifier: expect.stringMatching(/^[0-9A-F]{40}$/),
        authorityKeyIdentifier: certificateDetails(intermediate.certificate).subjectKeyIdentifier,
        pem: toPem(leaf),
      });
      expect(d.subjectKeyIdentifier).not.toBe(d.authorityKeyIdentifier);

      const ca = certificateDetails(intermediate.certificate);
      expect(ca.basicConstraints).toEqual({ ca: true, pathLength: 0 });
      expect(ca.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
      expect(ca.extendedKeyUsage).toEqual([]);
      expect(ca.publicKey).toEqual({ algorithm: 'EC', curve: 'P-256' });
      expect(certificateNames(leaf)).toEqual({ dnsNames: ['pool.example.com', 'www.example.com'], ipAddresses: ['10.0.0.1'], commonName: 'pool.example.com' });
    });
  });

  describe('when the certificate comes from openssl', () => {
    it('shows names in RFC 4514 order, escapes, odd EKUs by OID and the signature algorithm by name', () => {
      const dir = mkdtempSync(join(tmpdir(), 'details-'));
      execFileSync('/usr/bin/openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
        '-subj', '/C=US/O=Acme, Inc./CN=host.example', '-sha384', '-set_serial', '0x0A0B',
        '-addext', 'subjectAltName=DNS:host.example,IP:2001:db8::1,email:ops@example.com',
        '-addext', 'extendedKeyUsage=serverAuth,1.2.3.4.5',
      ], { stdio: 'pipe' });
      const cert = parseCertificate(readFileSync(join(dir, 'c.pem'), 'utf8'));
      const d = certificateDetails(cert);
      expect(d.subject).toBe('CN=host.example, O=Acme\\, Inc., C=US');
      expect(d.issuer).toBe(d.subject);
      expect(d.serialNumber).toBe('0A0B');
      expect(d.signatureAlgorithm).toBe('ecdsa-with-SHA384');
      expect(d.publicKey).toEqual({ algorithm: 'EC', curve: 'P-384' });
      expect(d.subjectAltNames).toEqual(['DNS:host.example', 'IP:2001:db8::1', 'email:ops@example.com']);
      expect(d.extendedKeyUsage).toEqual(['serverAuth', '1.2.3.4.5']);
      const openssl = execFileSync('/usr/bin/openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], { input: d.pem }).toString();
      expect(openssl.trim()).toBe(`subject=${d.subject.replace(/, (?=[A-Z]+=)/g, ',')}`);
    });
  });
});
