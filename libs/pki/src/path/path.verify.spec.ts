import { generateKeyPairSync } from 'node:crypto';
import { x509 } from '../x509.setup';
import { verifyPath, type PathVerdict, type VerifyPathOptions } from './path.verify';

/** Certificates made at test time; each test changes one thing on a valid root → ICA → leaf path. */
const AT = new Date('2030-06-01T00:00:00Z');
const FROM = new Date('2030-01-01T00:00:00Z');
const UNTIL = new Date('2031-01-01T00:00:00Z');
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

interface Made {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

interface Spec {
  subject: string;
  issuer?: Made;
  ca?: boolean;
  pathLength?: number;
  keyUsage?: x509.KeyUsageFlags;
  eku?: string[];
  san?: { type: 'dns' | 'ip' | 'email'; value: string }[];
  extra?: x509.Extension[];
  notBefore?: Date;
  notAfter?: Date;
  keys?: CryptoKeyPair;
  publicKey?: x509.PublicKey;
  hash?: string;
  bcCritical?: boolean;
}

async function make(spec: Spec): Promise<Made> {
  const keys = spec.keys ?? ((await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair);
  const signer = spec.issuer?.keys ?? keys;
  const ca = spec.ca ?? false;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(ca, spec.pathLength, spec.bcCritical ?? true),
    new x509.KeyUsagesExtension(spec.keyUsage ?? (ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature), true),
    await x509.SubjectKeyIdentifierExtension.create(spec.publicKey ?? keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(signer.publicKey),
  ];
  if (spec.eku) extensions.push(new x509.ExtendedKeyUsageExtension(spec.eku));
  if (spec.san) extensions.push(new x509.SubjectAlternativeNameExtension(spec.san));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01' + Math.floor(Math.random() * 1e8).toString(16),
    subject: `CN=${spec.subject}`,
    issuer: spec.issuer ? spec.issuer.cert.subject : `CN=${spec.subject}`,
    notBefore: spec.notBefore ?? FROM,
    notAfter: spec.notAfter ?? UNTIL,
    publicKey: spec.publicKey ?? keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: { ...EC, hash: spec.hash ?? 'SHA-256' },
    extensions: [...extensions, ...(spec.extra ?? [])],
  });
  return { cert, keys };
}

const der = (m: Made): Uint8Array => new Uint8Array(m.cert.rawData);

/** DER TLV, for extensions the generator has no class for (name constraints). */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = Buffer.concat(parts);
  const len = body.length < 128 ? [body.length] : [0x81, body.length];
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len]), body]));
}
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const subtree = (tag: number, value: Uint8Array): Uint8Array => tlv(0x30, tlv(tag, value));
function nameConstraints(opts: { permittedDns?: string[]; excludedDns?: string[]; permittedIp?: number[][] }): x509.Extension {
  const parts: Uint8Array[] = [];
  const permitted = [...(opts.permittedDns ?? []).map((d) => subtree(0x82, ascii(d))), ...(opts.permittedIp ?? []).map((ip) => subtree(0x87, Uint8Array.from(ip)))];
  if (permitted.length) parts.push(tlv(0xa0, ...permitted));
  if (opts.excludedDns) parts.push(tlv(0xa1, ...opts.excludedDns.map((d) => subtree(0x82, ascii(d)))));
  return new x509.Extension('2.5.29.30', true, tlv(0x30, ...parts));
}

let root: Made;
let ica: Made;

function verify(leaf: Made, opts: Partial<VerifyPathOptions> = {}): PathVerdict {
  return verifyPath({ leaf: der(leaf), intermediates: [der(ica)], roots: [der(root)], at: AT, validationKind: 'SERVER', peerName: { kind: 'DNS', value: 'host.example.com' }, ...opts });
}

function expectFailure(verdict: PathVerdict, code: string): void {
  expect(verdict.valid ? 'valid' : verdict.failure?.code).toBe(code);
}

const leafSpec = (over: Partial<Spec> = {}): Spec => ({ subject: 'host.example.com', issuer: ica, eku: ['1.3.6.1.5.5.7.3.1'], san: [{ type: 'dns', value: 'host.example.com' }], ...over });

describe('verifyPath', () => {
  beforeAll(async () => {
    root = await make({ subject: 'Test Root', ca: true });
    ica = await make({ subject: 'Test ICA', issuer: root, ca: true, pathLength: 0 });
  });

  it('accepts a valid root → ICA → leaf path, leaf first', async () => {
    const leaf = await make(leafSpec());
    const verdict = verify(leaf);
    expect(verdict.valid && verdict.path.length).toBe(3);
  });

  describe('when a certificate is outside its validity', () => {
    it('refuses an expired leaf', async () => expectFailure(verify(await make(leafSpec({ notAfter: new Date('2030-05-01T00:00:00Z') }))), 'CertificateExpired'));
    it('refuses a leaf not yet valid', async () => expectFailure(verify(await make(leafSpec({ notBefore: new Date('2030-07-01T00:00:00Z') }))), 'CertificateNotYetValid'));
  });

  describe('when a signature or a CA rule is broken', () => {
    it('refuses a leaf signed by another key under the issuer name', async () => {
      const impostor = await make({ subject: 'Test ICA', issuer: root, ca: true });
      expectFailure(verify(await make(leafSpec({ issuer: impostor }))), 'BadSignature');
    });
    it('refuses an issuer that is not a CA', async () => {
      const notCa = await make({ subject: 'Not CA', issuer: root, keyUsage: x509.KeyUsageFlags.digitalSignature });
      expectFailure(verify(await make(leafSpec({ issuer: notCa })), { intermediates: [der(notCa)] }), 'IssuerNotCa');
    });
    it('refuses an issuer whose KeyUsage lacks keyCertSign', async () => {
      const noSign = await make({ subject: 'No Sign CA', issuer: root, ca: true, keyUsage: x509.KeyUsageFlags.cRLSign });
      expectFailure(verify(await make(leafSpec({ issuer: noSign })), { intermediates: [der(noSign)] }), 'IssuerKeyUsageMissing');
    });
    it('refuses a sub-CA below an ICA with pathLength 0', async () => {
      const sub = await make({ subject: 'Sub CA', issuer: ica, ca: true });
      expectFailure(verify(await make(leafSpec({ issuer: sub })), { intermediates: [der(sub), der(ica)] }), 'PathTooLong');
    });
    it('refuses a CA whose BasicConstraints is not critical (strict profile)', async () => {
      const soft = await make({ subject: 'Soft CA', issuer: root, ca: true, bcCritical: false });
      expectFailure(verify(await make(leafSpec({ issuer: soft })), { intermediates: [der(soft)] }), 'MalformedCertificate');
    });
  });

  describe('when an extension is not understood', () => {
    it('refuses an unknown critical extension in the leaf', async () => {
      const leaf = await make(leafSpec({ extra: [new x509.Extension('1.3.6.1.4.1.55555.1', true, tlv(0x05))] }));
      expectFailure(verify(leaf), 'UnknownCriticalExtension');
    });
    it('ignores an unknown non-critical extension', async () => {
      const leaf = await make(leafSpec({ extra: [new x509.Extension('1.3.6.1.4.1.55555.1', false, tlv(0x05))] }));
      expect(verify(leaf).valid).toBe(true);
    });
  });

  describe('when the leaf is used for something else', () => {
    it('refuses a clientAuth-only leaf for SERVER validation', async () => expectFailure(verify(await make(leafSpec({ eku: ['1.3.6.1.5.5.7.3.2'] }))), 'ExtendedKeyUsageMissing'));
    it('accepts a leaf without EKU', async () => expect(verify(await make(leafSpec({ eku: undefined }))).valid).toBe(true));
    it('refuses a CA certificate as the leaf', async () => expectFailure(verify(await make(leafSpec({ ca: true, keyUsage: x509.KeyUsageFlags.keyCertSign }))), 'LeafIsCa'));
  });

  describe('when matching the peer name', () => {
    it('matches a leftmost wildcard for one label only', async () => {
      const leaf = await make(leafSpec({ san: [{ type: 'dns', value: '*.example.com' }] }));
      expect(verify(leaf).valid).toBe(true);
      expectFailure(verify(leaf, { peerName: { kind: 'DNS', value: 'a.host.example.com' } }), 'PeerNameMismatch');
      expectFailure(verify(leaf, { peerName: { kind: 'DNS', value: 'example.com' } }), 'PeerNameMismatch');
    });
    it('matches an IP only against iPAddress entries', async () => {
      const leaf = await make(leafSpec({ san: [{ type: 'ip', value: '10.0.0.1' }, { type: 'dns', value: '10.0.0.2' }] }));
      expect(verify(leaf, { peerName: { kind: 'IP', value: '10.0.0.1' } }).valid).toBe(true);
      expectFailure(verify(leaf, { peerName: { kind: 'IP', value: '10.0.0.2' } }), 'PeerNameMismatch');
    });
    it('never uses the subject CN', async () => {
      const leaf = await make(leafSpec({ san: [{ type: 'dns', value: 'other.example.com' }] }));
      expectFailure(verify(leaf), 'PeerNameMismatch');
    });
  });

  describe('when a CA has name constraints', () => {
    it('accepts a name inside the permitted subtree and refuses one outside', async () => {
      const nc = await make({ subject: 'NC CA', issuer: root, ca: true, extra: [nameConstraints({ permittedDns: ['example.com'] })] });
      const inside = await make(leafSpec({ issuer: nc }));
      const outside = await make(leafSpec({ issuer: nc, subject: 'host.example.org', san: [{ type: 'dns', value: 'host.example.com' }, { type: 'dns', value: 'host.example.org' }] }));
      expect(verify(inside, { intermediates: [der(nc)] }).valid).toBe(true);
      expectFailure(verify(outside, { intermediates: [der(nc)] }), 'NameConstraintViolation');
    });
    it('refuses a wildcard that could stand for an excluded name', async () => {
      const nc = await make({ subject: 'NC CA', issuer: root, ca: true, extra: [nameConstraints({ excludedDns: ['bar.example.com'] })] });
      const leaf = await make(leafSpec({ issuer: nc, subject: 'x', san: [{ type: 'dns', value: '*.example.com' }] }));
      expectFailure(verify(leaf, { intermediates: [der(nc)] }), 'NameConstraintViolation');
    });
    it('checks IP addresses against address/mask subtrees', async () => {
      const nc = await make({ subject: 'NC CA', issuer: root, ca: true, extra: [nameConstraints({ permittedIp: [[10, 0, 0, 0, 255, 0, 0, 0]] })] });
      const good = await make(leafSpec({ issuer: nc, subject: 'ip', san: [{ type: 'ip', value: '10.1.2.3' }] }));
      const bad = await make(leafSpec({ issuer: nc, subject: 'ip', san: [{ type: 'ip', value: '11.1.2.3' }] }));
      expect(verify(good, { intermediates: [der(nc)], peerName: { kind: 'IP', value: '10.1.2.3' } }).valid).toBe(true);
      expectFailure(verify(bad, { intermediates: [der(nc)], peerName: { kind: 'IP', value: '11.1.2.3' } }), 'NameConstraintViolation');
    });
  });

  describe('when a key or algorithm is weak', () => {
    it('refuses a 1024-bit RSA leaf key', async () => {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const leaf = await make(leafSpec({ publicKey: new x509.PublicKey(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))) }));
      expectFailure(verify(leaf), 'WeakKey');
    });
    it('refuses a P-192 leaf key', async () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime192v1' });
      const leaf = await make(leafSpec({ publicKey: new x509.PublicKey(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))) }));
      expectFailure(verify(leaf), 'WeakKey');
    });
    it('refuses a SHA-1 signature', async () => expectFailure(verify(await make(leafSpec({ hash: 'SHA-1' }))), 'WeakSignatureAlgorithm'));
  });

  describe('when the candidates form a maze', () => {
    it('backtracks from an expired same-name ICA to a valid one', async () => {
      const expired = await make({ subject: 'Test ICA', issuer: root, ca: true, keys: ica.keys, notAfter: new Date('2030-02-01T00:00:00Z') });
      const verdict = verify(await make(leafSpec()), { intermediates: [der(expired), der(ica)] });
      expect(verdict.valid).toBe(true);
    });
    it('stops quickly on 40 cross-signed CAs sharing one name and reports no path', async () => {
      const shared = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']) as CryptoKeyPair;
      const mesh: Made[] = [];
      for (let i = 0; i < 40; i++) mesh.push(await make({ subject: 'Mesh', issuer: mesh[i - 1], ca: true, keys: i === 0 ? shared : undefined }));
      const leaf = await make(leafSpec({ issuer: mesh[39] }));
      const started = Date.now();
      const verdict = verify(leaf, { intermediates: mesh.map(der) });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(verdict.valid).toBe(false);
    });
  });
});
