import { execFileSync } from 'node:child_process';
import { x509 } from './x509.setup';
import { createIntermediateCa, createRootCa } from './certificate-authority.issuer';
import { parseCertificate, parseCertificates, toPem } from './certificate.parser';
import { thumbprintSha1 } from './certificate.thumbprint';
import { PkiInputError } from './pki-input.error';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PkiInputError);
    return (error as PkiInputError).code;
  }
}

describe('parseCertificates', () => {
  let root: x509.X509Certificate;
  let intermediate: x509.X509Certificate;
  beforeAll(async () => {
    const r = await createRootCa({ subject: 'CN=Parser Root' });
    root = r.certificate;
    intermediate = (await createIntermediateCa({ subject: 'CN=Parser Intermediate', issuer: r })).certificate;
  });
  const tps = (certs: x509.X509Certificate[]) => certs.map(thumbprintSha1);

  describe('when given PEM blocks', () => {
    it('reads several, in order, with CRLF and text around them', () => {
      const text = `Bag Attributes\r\n${toPem(intermediate).replace(/\n/g, '\r\n')}\r\nsubject=...\r\n  ${toPem(root)}`;
      expect(tps(parseCertificates(text))).toEqual(tps([intermediate, root]));
    });

    it('round-trips through toPem', () => {
      const pem = toPem(root);
      expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
      expect(thumbprintSha1(parseCertificate(pem))).toBe(thumbprintSha1(root));
    });

    it('refuses more than the limit', () => {
      expect(codeOf(() => parseCertificates(toPem(root).repeat(3), 2))).toBe('TOO_MANY_CERTIFICATES');
      expect(codeOf(() => parseCertificate(toPem(root) + toPem(intermediate)))).toBe('TOO_MANY_CERTIFICATES');
    });

    it('refuses a PEM block whose DER is damaged', () => {
      const truncated = Buffer.from(root.rawData).subarray(0, root.rawData.byteLength - 10).toString('base64');
      const broken = `-----BEGIN CERTIFICATE-----\n${truncated}\n-----END CERTIFICATE-----\n`;
      expect(codeOf(() => parseCertificates(broken))).toBe('CERTIFICATE_UNPARSABLE');
      expect(codeOf(() => parseCertificates('-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----'))).toBe('CERTIFICATE_UNPARSABLE');
    });
  });

  describe('when given a PKCS#7 bundle', () => {
    it('reads a PEM .p7b made by openssl crl2pkcs7', () => {
      const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'p7b-'));
      const file = `${dir}/chain.pem`;
      require('node:fs').writeFileSync(file, toPem(intermediate) + toPem(root));
      const p7b = execFileSync('/usr/bin/openssl', ['crl2pkcs7', '-nocrl', '-certfile', file]).toString();
      expect(p7b).toContain('BEGIN PKCS7');
      expect(tps(parseCertificates(p7b)).sort()).toEqual(tps([intermediate, root]).sort());
    });

    it('reads bare base64 DER of a bundle and of a certificate', () => {
      const bundle = new x509.X509Certificates([intermediate, root]).export('base64');
      expect(parseCertificates(bundle)).toHaveLength(2);
      expect(tps(parseCertificates(Buffer.from(root.rawData).toString('base64')))).toEqual(tps([root]));
    });
  });

  describe('when given something else', () => {
    it.each([
      ['empty text', ''],
      ['prose', 'hello, world'],
      ['a CSR', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'],
      ['base64 of garbage', Buffer.from('not a certificate at all').toString('base64')],
    ])('refuses %s with CERTIFICATE_NOT_PEM', (_label, text) => {
      expect(codeOf(() => parseCertificates(text))).toBe('CERTIFICATE_NOT_PEM');
    });

    it('says which block it found instead', () => {
      expect(() => parseCertificates('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toThrow(/PRIVATE KEY/);
    });

    it('refuses a flood of BEGIN lines quickly', () => {
      const started = Date.now();
      expect(codeOf(() => parseCertificates('-----BEGIN CERTIFICATE-----\n'.repeat(50_000)))).toBe('TOO_MANY_CERTIFICATES');
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });
});

describe('parseCertificate', () => {
  it('reads the same PEM text once and hands back that certificate again', async () => {
    const pem = toPem((await createRootCa({ subject: 'CN=Memo Root' })).certificate);
    const first = parseCertificate(pem);
    expect(parseCertificate(pem)).toBe(first);
    expect(parseCertificate(`${pem}\n`)).not.toBe(first);
    expect(thumbprintSha1(parseCertificate(`${pem}\n`))).toBe(thumbprintSha1(first));
  });

  it('does not remember a failure', () => {
    expect(codeOf(() => parseCertificate('not a certificate'))).toBe('CERTIFICATE_NOT_PEM');
    expect(codeOf(() => parseCertificate('not a certificate'))).toBe('CERTIFICATE_NOT_PEM');
  });
});

