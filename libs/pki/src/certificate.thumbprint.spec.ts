import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRootCa } from './certificate-authority.issuer';
import { toPem } from './certificate.parser';
import { normalizeThumbprint, pemThumbprints, thumbprintSha1, thumbprintSha256 } from './certificate.thumbprint';
import { PkiInputError } from './pki-input.error';

describe('thumbprints', () => {
  let cert: Awaited<ReturnType<typeof createRootCa>>['certificate'];
  beforeAll(async () => {
    cert = (await createRootCa({ subject: 'CN=Thumbprint Root' })).certificate;
  });

  describe('when computed from a certificate', () => {
    it('is the upper-case hex SHA-1 of the DER', () => {
      const expected = createHash('sha1').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase();
      expect(thumbprintSha1(cert)).toBe(expected);
      expect(thumbprintSha1(cert)).toMatch(/^[0-9A-F]{40}$/);
    });

    it('is the upper-case hex SHA-256 of the DER', () => {
      const expected = createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase();
      expect(thumbprintSha256(cert)).toBe(expected);
      expect(thumbprintSha256(cert.rawData)).toBe(expected);
    });

    it('equals the fingerprint `openssl x509 -fingerprint` prints', () => {
      const run = (alg: string) =>
        execFileSync('/usr/bin/openssl', ['x509', '-noout', '-fingerprint', `-${alg}`], { input: toPem(cert) })
          .toString()
          .trim()
          .split('=')[1]
          .replace(/:/g, '');
      expect(thumbprintSha1(cert)).toBe(run('sha1'));
      expect(thumbprintSha256(cert)).toBe(run('sha256'));
    });
  });

  describe('when a pasted thumbprint is normalized', () => {
    it.each([
      ['ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01', { kind: 'sha1', value: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }],
      ['\u200eab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01', { kind: 'sha1', value: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }],
      ['a'.repeat(64), { kind: 'sha256', value: 'A'.repeat(64) }],
    ])('reads %j', (input, expected) => {
      expect(normalizeThumbprint(input)).toEqual(expected);
    });

    it.each(['', 'xyz', 'a'.repeat(39), 'a'.repeat(41), 'g'.repeat(40), 'a'.repeat(1000)])('refuses %j', (input) => {
      expect(normalizeThumbprint(input)).toBeNull();
    });
  });

  describe('when computed from PEM text without reading the certificate', () => {
    it('gives the same thumbprints as the parsed certificate', () => {
      expect(pemThumbprints(`issued by the CA:\r\n${toPem(cert).replace(/\n/g, '\r\n')}`)).toEqual({ sha1: thumbprintSha1(cert), sha256: thumbprintSha256(cert) });
    });

    it.each([
      ['no PEM block', 'hello'],
      ['two certificates', '__PEM____PEM__'],
      ['a damaged body', '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n'],
      ['a request instead of a certificate', '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n'],
    ])('refuses %s as CERTIFICATE_UNPARSABLE', (_what, text) => {
      const input = text.replace(/__PEM__/g, toPem(cert));
      expect(() => pemThumbprints(input)).toThrow(PkiInputError);
      expect(() => pemThumbprints(input)).toThrow(/certificate/i);
    });
  });
});
