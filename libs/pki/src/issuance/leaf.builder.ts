import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from '../x509.setup';
import { TAG, bytesOf, children, readBitString, readWhole } from '../path/der.reader';
import { bitString, booleanTrue, ecdsaSignatureToDer, explicit, objectIdentifier, octetString, sequence, set, smallInteger, tlv, time, unsignedInteger } from './der.writer';

/**
 * What a leaf says about its subject. The Name and the names are certflow's ({@link hostSubjectDer},
 * `namesToCertify`); only the key comes from the CSR: a CSR's subject is a request, never copied.
 */
export interface LeafSubject {
  /** The leaf's subject Name (DER), from {@link hostSubjectDer}. */
  subjectDer: Uint8Array;
  /** The CSR's SubjectPublicKeyInfo (DER). */
  spkiDer: Uint8Array;
  /** The checked names (subjectAltName): critical when the subject is empty (RFC 5280 §4.2.1.6). */
  dnsNames: string[];
  ipAddresses: string[];
  /** The key is RSA: KeyUsage then also allows keyEncipherment. */
  rsaKey: boolean;
}

/**
 * Where a relying party learns whether the leaf is revoked: the issuer's CRL (CRL distribution
 * point) and OCSP responder (authority information access). Absolute http(s) URLs.
 */
export interface RevocationPointers {
  crlUrl: string;
  ocspUrl: string;
}

/** The issuing CA, prepared once: what every leaf copies from it. */
interface IssuerFacts {
  subjectDer: Uint8Array;
  keyIdentifier: Uint8Array;
  signatureAlgorithmDer: Buffer;
  sign: { name: 'ECDSA'; hash: string };
}

const ECDSA_WITH: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };
const ECDSA_OID: Record<string, string> = { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3', 'SHA-512': '1.2.840.10045.4.3.4' };
const EXT = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  eku: '2.5.29.37',
  san: '2.5.29.17',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
};
const ACCESS_METHOD_OCSP = '1.3.6.1.5.5.7.48.1';
/** GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String. */
const uri = (url: string): Buffer => tlv(0x86, Buffer.from(url, 'ascii'));
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** RFC 5280 ub-common-name: a longer host cannot be a CN, and is named by the SAN alone. */
const UB_COMMON_NAME = 64;
const OID_COMMON_NAME = '2.5.4.3';
const UTF8_STRING = 0x0c;
const EMPTY_NAME_LENGTH = 2;

/**
 * The subject certflow gives a leaf for `host`: `CN=<host>` (UTF8String), nothing else; the empty
 * Name for a host longer than a CN may be (its SAN then names it, and is marked critical).
 */
export function hostSubjectDer(host: string): Buffer {
  if (host.length > UB_COMMON_NAME) return sequence();
  return sequence(set(sequence(objectIdentifier(OID_COMMON_NAME), tlv(UTF8_STRING, Buffer.from(host, 'utf8')))));
}

const issuers = new WeakMap<x509.X509Certificate, IssuerFacts>();

/** SHA-1 of the subjectPublicKey bits: RFC 5280 §4.2.1.2 method (1), as @peculiar/x509 computes it. */
export function keyIdentifierOf(spkiDer: Uint8Array): Buffer {
  const [, key] = children(spkiDer, readWhole(spkiDer));
  return createHash('sha1').update(readBitString(spkiDer, key).bytes).digest();
}

/** The issuer's facts, or null when its key is not ECDSA (those CAs take the general path). */
function issuerFacts(issuer: x509.X509Certificate, key: CryptoKey): IssuerFacts | null {
  let facts = issuers.get(issuer);
  if (facts) return facts;
  const hash = ECDSA_WITH[(key.algorithm as EcKeyAlgorithm).namedCurve];
  if (key.algorithm.name !== 'ECDSA' || !hash) return null;
  const der = new Uint8Array(issuer.rawData);
  const [tbs] = children(der, readWhole(der));
  const fields = children(der, tbs);
  const offset = fields[0].tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  const spki = fields[offset + 5];
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  facts = {
    subjectDer: bytesOf(der, subject),
    keyIdentifier: ski?.keyId ? Buffer.from(ski.keyId, 'hex') : keyIdentifierOf(bytesOf(der, spki)),
    signatureAlgorithmDer: sequence(objectIdentifier(ECDSA_OID[hash])),
    sign: { name: 'ECDSA', hash },
  };
  issuers.set(issuer, facts);
  return facts;
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const words = (s: string | undefined) => (s ? s.split(':') : []);
  const left = words(head);
  let right = words(tail);
  // An IPv4 tail ("::ffff:10.0.0.1") is two words.
  const last = right.length ? right[right.length - 1] : left[left.length - 1];
  if (last?.includes('.')) {
    const v4 = ipBytes(last);
    const tailWords = [v4.readUInt16BE(0).toString(16), v4.readUInt16BE(2).toString(16)];
    if (right.length) right = [...right.slice(0, -1), ...tailWords];
    else left.splice(left.length - 1, 1, ...tailWords);
  }
  const zeros = ip.includes('::') ? 8 - left.length - right.length : 0;
  const all = [...left, ...Array(zeros).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  return out;
}

function extension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  return critical ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

/** CRLDistributionPoints and AuthorityInfoAccess (OCSP) for `pointers` (RFC 5280 §4.2.1.13, §4.2.2.1). */
export function revocationPointerExtensions(pointers: RevocationPointers): Buffer[] {
  // DistributionPoint { distributionPoint [0] { fullName [0] { uniformResourceIdentifier } } }
  const distributionPoint = sequence(tlv(0xa0, tlv(0xa0, uri(pointers.crlUrl))));
  return [
    extension(EXT.crlDistributionPoints, false, sequence(distributionPoint)),
    extension(EXT.authorityInfoAccess, false, sequence(sequence(objectIdentifier(ACCESS_METHOD_OCSP), uri(pointers.ocspUrl)))),
  ];
}

function leafExtensions(subject: LeafSubject, issuer: IssuerFacts, pointers?: RevocationPointers): Buffer {
  // KeyUsage digitalSignature (bit 0), plus keyEncipherment (bit 2) for RSA keys.
  const keyUsage = subject.rsaKey ? Buffer.from([0x03, 0x02, 0x05, 0xa0]) : Buffer.from([0x03, 0x02, 0x07, 0x80]);
  const san = [...subject.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'latin1'))), ...subject.ipAddresses.map((ip) => tlv(0x87, ipBytes(ip)))];
  const extensions = [
    extension(EXT.basicConstraints, false, sequence()),
    extension(EXT.keyUsage, true, keyUsage),
    extension(EXT.eku, false, sequence(objectIdentifier(SERVER_AUTH), objectIdentifier(CLIENT_AUTH))),
    ...(san.length ? [extension(EXT.san, subject.subjectDer.length <= EMPTY_NAME_LENGTH, sequence(...san))] : []),
    extension(EXT.ski, false, octetString(keyIdentifierOf(subject.spkiDer))),
    extension(EXT.aki, false, sequence(tlv(0x80, issuer.keyIdentifier))),
    ...(pointers ? revocationPointerExtensions(pointers) : []),
  ];
  return explicit(3, sequence(...extensions));
}

/**
 * Signs a leaf for `subject` with an ECDSA issuing CA, encoding the certificate directly: the same
 * profile as `issueLeaf` (BasicConstraints cA=false, KeyUsage critical, EKU serverAuth + clientAuth,
 * SAN, SKI, AKI). Returns the DER, or null when the CA's key is not ECDSA.
 */
export async function signLeafDer(opts: {
  subject: LeafSubject;
  issuer: { certificate: x509.X509Certificate; privateKey: CryptoKey };
  notBefore: Date;
  notAfter: Date;
  serialNumber?: string;
  /** CRL and OCSP URLs to carry; none when absent. */
  revocation?: RevocationPointers;
}): Promise<Buffer | null> {
  const issuer = issuerFacts(opts.issuer.certificate, opts.issuer.privateKey);
  if (!issuer) return null;
  const serial = opts.serialNumber ? Buffer.from(opts.serialNumber, 'hex') : randomBytes(16);
  if (!opts.serialNumber) serial[0] = (serial[0] & 0x3f) | 0x40;
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    issuer.signatureAlgorithmDer,
    issuer.subjectDer,
    sequence(time(opts.notBefore), time(opts.notAfter)),
    opts.subject.subjectDer,
    opts.subject.spkiDer,
    leafExtensions(opts.subject, issuer, opts.revocation),
  );
  const raw = new Uint8Array(await webcrypto.subtle.sign(issuer.sign, opts.issuer.privateKey as webcrypto.CryptoKey, tbs));
  return sequence(tbs, issuer.signatureAlgorithmDer, bitString(ecdsaSignatureToDer(raw)));
}

/** SubjectPublicKeyInfo of a PKCS#10 request, as its DER: the one thing a leaf takes from the CSR as it is. */
export function csrPublicKeyDer(csrDer: Uint8Array): Uint8Array {
  const [info] = children(csrDer, readWhole(csrDer));
  const [version, subject, spki] = children(csrDer, info);
  if (version?.tag !== TAG.INTEGER || subject?.tag !== TAG.SEQUENCE || spki?.tag !== TAG.SEQUENCE) throw new Error('not a CertificationRequestInfo');
  return bytesOf(csrDer, spki);
}
