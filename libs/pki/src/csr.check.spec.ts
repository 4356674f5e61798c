import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x509 } from './x509.setup';
import { checkCsr, MAX_CSR_BYTES } from './csr.check';
import { generateKeyPair, signingAlgorithmFor, type KeyType } from './key-pair.factory';
import { parseName } from './distinguished-name.format';
import { spkiFingerprint } from './public-key.describe';
import { PkiInputError } from './pki-input.error';
import { formatName } from './distinguished-name.format';
import { subjectNames } from './subject-alt-name.reader';

const toPem = (der: ArrayBuffer | Buffer) =>
  `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der as ArrayBuffer).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE REQUEST-----\n`;

async function makeCsr(opts: { subject: string; dns?: string[]; ips?: string[]; keys?: CryptoKeyPair; keyType?: KeyType }): Promise<{ pem: string; keys: CryptoKeyPair }> {
  const keys = opts.keys ?? (await generateKeyPair(opts.keyType ?? 'ec-p256'));
  const san = [...(opts.dns ?? []).map((value) => ({ type: 'dns' as const, value })), ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseName(opts.subject),
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: san.length ? [new x509.SubjectAlternativeNameExtension(san)] : [],
  });
  return { pem: toPem(csr.rawData), keys };
}

function opensslCsr(newkey: string[], subject = '/CN=host.example.com', san = 'DNS:host.example.com'): string {
  const dir = mkdtempSync(join(tmpdir(), 'csr-'));
  return execFileSync('/usr/bin/openssl', ['req', '-new', ...newkey, '-nodes', '-keyout', join(dir, 'key.pem'), '-subj', subject, '-addext', `subjectAltName=${san}`], { stdio: 'pipe' }).toString();
}

async function codeOf(pem: unknown, host = 'host.example.com'): Promise<string> {
  try {
    await checkCsr(pem as string, host);
  } catch (error) {
    if (!(error instanceof PkiInputError)) throw new Error(`not a PkiInputError: ${String(error)}`);
    return error.code;
  }
  return 'ACCEPTED';
}

describe('checkCsr', () => {
  describe('when the CSR is good', () => {
    it('accepts an RSA-2048 CSR and reports its names and key', async () => {
      const { pem, keys } = await makeCsr({ subject: 'CN=Host.Example.com, O=Acme', dns: ['host.example.com', 'alias.example.com'], ips: ['10.0.0.7'], keyType: 'rsa-2048' });
      const checked = await checkCsr(pem.replace(/\n/g, '\r\n'), 'HOST.example.com');
      expect(checked).toMatchObject({
        subject: 'CN=Host.Example.com, O=Acme',
        commonName: 'Host.Example.com',
        dnsNames: ['host.example.com', 'alias.example.com'],
        ipAddresses: ['10.0.0.7'],
        names: ['host.example.com', 'alias.example.com', '10.0.0.7'],
        publicKey: { algorithm: 'RSA', size: 2048 },
      });
      const spki = await crypto.subtle.exportKey('spki', keys.publicKey);
      expect(checked.spkiFingerprint).toBe(spkiFingerprint(spki));
      expect(checked.pem).toBe(pem);
    });

    it('accepts an EC P-256 CSR when the host is an IP SAN', async () => {
      const { pem } = await makeCsr({ subject: 'CN=host.example.com', ips: ['10.0.0.7'] });
      const checked = await checkCsr(pem, '10.0.0.7');
      expect(checked.publicKey).toEqual({ algorithm: 'EC', curve: 'P-256' });
    });

    it('accepts a CSR made by `openssl req` with an EC P-256 key', async () => {
      const pem = opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=host', 'DNS:host');
      expect(await codeOf(pem, 'host')).toBe('ACCEPTED');
    });

    it('accepts a "NEW CERTIFICATE REQUEST" block (older Windows tools) matched by CN only', async () => {
      const { pem } = await makeCsr({ subject: 'CN=legacy.example.com' });
      const legacy = pem.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST');
      expect(await codeOf(legacy, 'legacy.example.com.')).toBe('ACCEPTED');
    });
  });

  describe('when the CSR has several CNs', () => {
    it('reports every CN among its names, not only the last', async () => {
      const { pem } = await makeCsr({ subject: 'CN=a.web.example.com, CN=bank.example.org, O=system:masters', dns: ['b.web.example.com'] });
      const checked = await checkCsr(pem, 'a.web.example.com');
      // In encoded order: an RFC 4514 string lists the RDNs the other way round.
      expect(checked.commonNames).toEqual(['bank.example.org', 'a.web.example.com']);
      expect(checked.names).toEqual(['bank.example.org', 'a.web.example.com', 'b.web.example.com']);
    });

    it('finds the host in any CN, not only the last', async () => {
      const { pem } = await makeCsr({ subject: 'CN=first.example.com, CN=last.example.com' });
      expect([await codeOf(pem, 'first.example.com'), await codeOf(pem, 'last.example.com'), await codeOf(pem, 'other.example.com')]).toEqual(['ACCEPTED', 'ACCEPTED', 'HOST_NOT_IN_CSR']);
    });
  });

  describe('when the CSR is not acceptable', () => {
    it('refuses text that is not a PEM CSR', async () => {
      expect(await codeOf('hello')).toBe('CSR_NOT_PEM');
      expect(await codeOf(42)).toBe('CSR_NOT_PEM');
      expect(await codeOf('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toBe('CSR_NOT_PEM');
    });

    it('refuses garbage inside the PEM block', async () => {
      expect(await codeOf(toPem(Buffer.from('garbage garbage garbage garbage')))).toBe('CSR_UNPARSABLE');
      expect(await codeOf('-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----')).toBe('CSR_UNPARSABLE');
    });

    it('refuses a CSR whose signature does not verify (no proof of possession)', async () => {
      const { pem } = await makeCsr({ subject: 'CN=host.example.com', dns: ['host.example.com'] });
      const der = Buffer.from(new x509.Pkcs10CertificateRequest(pem).rawData);
      der[der.length - 1] ^= 0x01;
      expect(await codeOf(toPem(der))).toBe('CSR_SIGNATURE_INVALID');
    });

    it('refuses a CSR signed by another key than the one it carries', async () => {
      const a = await generateKeyPair('ec-p256');
      const b = await generateKeyPair('ec-p256');
      const { pem } = await makeCsr({ subject: 'CN=host.example.com', keys: { publicKey: a.publicKey, privateKey: b.privateKey } });
      expect(await codeOf(pem)).toBe('CSR_SIGNATURE_INVALID');
    });

    it('refuses an RSA-1024 key as too weak', async () => {
      const keys = (await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const { pem } = await makeCsr({ subject: 'CN=host.example.com', keys });
      expect(await codeOf(pem)).toBe('CSR_KEY_TOO_WEAK');
    });

    it('refuses an EC P-192 key (made by openssl) as too weak', async () => {
      expect(await codeOf(opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-192']))).toBe('CSR_KEY_TOO_WEAK');
    });

    it.each([
      ['Ed25519', ['-newkey', 'ed25519']],
      ['secp256k1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']],
    ])('refuses a %s key as unsupported', async (_label, newkey) => {
      expect(await codeOf(opensslCsr(newkey))).toBe('CSR_KEY_UNSUPPORTED');
    });

    it('refuses a CSR that does not name the host', async () => {
      const { pem } = await makeCsr({ subject: 'CN=other.example.com', dns: ['other.example.com'] });
      expect(await codeOf(pem, 'host.example.com')).toBe('HOST_NOT_IN_CSR');
      expect(await codeOf(pem, '')).toBe('HOST_NOT_IN_CSR');
      await expect(checkCsr(pem, 'host.example.com')).rejects.toThrow(/other\.example\.com/);
    });

    it('does not let a wildcard stand for the host', async () => {
      const { pem } = await makeCsr({ subject: 'CN=*.example.com', dns: ['*.example.com'] });
      expect(await codeOf(pem, 'host.example.com')).toBe('HOST_NOT_IN_CSR');
    });

    it('refuses an oversized input before reading it', async () => {
      const { pem } = await makeCsr({ subject: 'CN=host.example.com' });
      expect(await codeOf(pem + ' '.repeat(MAX_CSR_BYTES))).toBe('CSR_TOO_LARGE');
    });

    it('refuses two CSRs in one text', async () => {
      const { pem } = await makeCsr({ subject: 'CN=host.example.com' });
      expect(await codeOf(pem + pem)).toBe('CSR_UNPARSABLE');
    });
  });

  describe('when the input is hostile', () => {
    it('answers every truncated or bit-flipped CSR with a PkiInputError', async () => {
      const { pem } = await makeCsr({ subject: 'CN=host.example.com', dns: ['host.example.com'], ips: ['10.0.0.1'] });
      const der = Buffer.from(new x509.Pkcs10CertificateRequest(pem).rawData);
      let seed = 12345;
      const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
      const codes = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const mutated = Buffer.from(der);
        if (i % 3 === 0) {
          codes.add(await codeOf(toPem(mutated.subarray(0, next() % der.length))));
        } else {
          for (let k = 0; k <= i % 4; k++) mutated[next() % der.length] = next() & 0xff;
          codes.add(await codeOf(toPem(mutated)));
        }
      }
      expect(codes.has('CSR_UNPARSABLE')).toBe(true);
      expect(codes.has('CSR_SIGNATURE_INVALID')).toBe(true);
    });
  });

  describe('read with the DER reader, against the ASN.1 library', () => {
    it.each([
      ['EC with DNS, IPv4 and IPv6 names', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=host.example.com/O=Acme/OU=Web', 'DNS:host.example.com,DNS:alt.example.com,IP:10.0.0.7,IP:2001:db8::7,IP:::1'],
      ['RSA with a multi-valued RDN and UTF-8', ['-newkey', 'rsa:2048', '-utf8'], '/O=Zürich AG/CN=host.example.com+serialNumber=42', 'DNS:host.example.com,email:ops@example.com,URI:https://example.com/'],
      ['two CNs and a CN-only host', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], '/CN=first.example.com/CN=host.example.com', 'DNS:other.example.com'],
    ])('finds what the library finds in a CSR with %s', async (_what, newkey, subject, san) => {
      const pem = opensslCsr(newkey, subject, san);
      const checked = await checkCsr(pem, 'host.example.com');
      const csr = new x509.Pkcs10CertificateRequest(pem);
      const found = subjectNames(csr.subjectName, csr.getExtension('2.5.29.17'));
      expect({ dnsNames: checked.dnsNames, ipAddresses: checked.ipAddresses, commonName: checked.commonName }).toEqual({ ...found, commonName: found.commonName });
      expect(checked.subject).toBe(formatName(csr.subjectName));
      expect(checked.pem).toBe(`${csr.toString('pem').replace(/\r\n/g, '\n').trimEnd()}\n`);
      expect(Buffer.from(checked.der)).toEqual(Buffer.from(csr.rawData));
      expect(checked.spkiFingerprint).toBe(spkiFingerprint(csr.publicKey.rawData));
    });

    it('refuses trailing bytes after the request, as the library did', async () => {
      const der = Buffer.from(new x509.Pkcs10CertificateRequest(opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'])).rawData);
      expect(await codeOf(toPem(Buffer.concat([der, Buffer.from([0, 0])])))).toBe('CSR_UNPARSABLE');
    });
  });
});

