import { BoundedCache } from '../bounded-cache';
import { createHash } from 'node:crypto';
import { DerError, TAG, bytesOf, children, expectTlv, readBoolean, readOid, readSmallInteger, readTime, readWhole, type Tlv } from './der.reader';
import { readName, type NameFacts } from './name.facts';
import { readGeneralNames, readNameConstraints, type GeneralName, type NameConstraints } from './general-name.reader';
import {
  EXT,
  checkAuthorityInfoAccess,
  checkWellFormed,
  readAuthorityKeyIdentifier,
  readBasicConstraints,
  readExtendedKeyUsage,
  readKeyUsage,
  readSubjectKeyIdentifier,
  type AuthorityKeyId,
  type BasicConstraints,
} from './extension.readers';

/**
 * Everything path building and validation read from one certificate, decoded once from its DER and
 * cached by its SHA-256 (the same certificate comes back in every case of a suite and at every
 * re-validation). Decoding problems do not throw: they are collected in `defects`, and a certificate
 * with a defect is never accepted on a path — but it still takes part in building, so the operator
 * hears which certificate is broken rather than that one is missing.
 */
export interface CertificateFacts {
  der: Uint8Array;
  /** SHA-256 of the DER, hex. */
  key: string;
  version: number;
  tbs: Uint8Array;
  /** AlgorithmIdentifier DER of the outer signatureAlgorithm and of the TBS `signature` field. */
  signatureAlgorithm: Uint8Array;
  tbsSignatureAlgorithm: Uint8Array;
  signature: Uint8Array;
  issuer: NameFacts;
  subject: NameFacts;
  notBefore: number;
  notAfter: number;
  spki: Uint8Array;
  /** SHA-256 of the SPKI, hex: the identity of the key. */
  spkiKey: string;
  /** Extensions by OID; `critical` as encoded. */
  extensions: Map<string, { critical: boolean; value: Uint8Array }>;
  basicConstraints: BasicConstraints | null;
  keyUsage: number | null;
  eku: string[] | null;
  san: GeneralName[] | null;
  nameConstraints: NameConstraints | null;
  ski: string | null;
  aki: AuthorityKeyId | null;
  selfIssued: boolean;
  /** Encoding problems, in words; non-empty means the certificate is rejected wherever it appears. */
  defects: string[];
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

type Decoded = Pick<CertificateFacts, 'basicConstraints' | 'keyUsage' | 'eku' | 'san' | 'nameConstraints' | 'ski' | 'aki'>;

function decodeExtension(oid: string, value: Uint8Array, out: Decoded): void {
  switch (oid) {
    case EXT.BASIC_CONSTRAINTS:
      out.basicConstraints = readBasicConstraints(value);
      break;
    case EXT.KEY_USAGE:
      out.keyUsage = readKeyUsage(value);
      break;
    case EXT.EKU:
      out.eku = readExtendedKeyUsage(value);
      break;
    case EXT.SAN:
      out.san = readGeneralNames(value);
      break;
    case EXT.NAME_CONSTRAINTS:
      out.nameConstraints = readNameConstraints(value);
      break;
    case EXT.SKI:
      out.ski = readSubjectKeyIdentifier(value);
      break;
    case EXT.AKI:
      out.aki = readAuthorityKeyIdentifier(value);
      break;
    case EXT.AIA:
      checkAuthorityInfoAccess(value);
      break;
    default:
      checkWellFormed(value);
  }
}

function readExtensions(buf: Uint8Array, wrapper: Tlv, facts: CertificateFacts): void {
  const [seq, extra] = children(buf, wrapper);
  if (!seq || extra || seq.tag !== TAG.SEQUENCE) throw new DerError('bad extensions wrapper');
  const items = children(buf, seq);
  if (items.length === 0) throw new DerError('empty extensions');
  for (const item of items) {
    const parts = children(buf, item);
    if (parts.length < 2 || parts.length > 3) throw new DerError('bad Extension');
    const oid = readOid(buf, parts[0]);
    const critical = parts.length === 3 ? readBoolean(buf, parts[1]) : false;
    const octets = parts[parts.length - 1];
    if (octets.tag !== TAG.OCTET_STRING) throw new DerError('extension value is not an OCTET STRING');
    if (facts.extensions.has(oid)) {
      facts.defects.push(`the extension ${oid} appears twice (RFC 5280 §4.2 allows each once)`);
      continue;
    }
    const value = buf.subarray(octets.valueStart, octets.end);
    facts.extensions.set(oid, { critical, value });
    try {
      decodeExtension(oid, value, facts);
    } catch (error) {
      facts.defects.push(`the extension ${oid} is malformed (${(error as Error).message})`);
    }
  }
}

/** Decodes a certificate's DER. Throws {@link DerError} only when its outer structure is unreadable. */
export function decodeCertificate(der: Uint8Array, key = sha256(der)): CertificateFacts {
  const cert = readWhole(der);
  if (cert.tag !== TAG.SEQUENCE) throw new DerError('certificate is not a SEQUENCE');
  const [tbs, sigAlg, sigValue, extra] = children(der, cert);
  if (!tbs || !sigAlg || !sigValue || extra) throw new DerError('certificate must have three parts');
  if (tbs.tag !== TAG.SEQUENCE || sigAlg.tag !== TAG.SEQUENCE || sigValue.tag !== TAG.BIT_STRING) throw new DerError('bad certificate parts');
  if (der[sigValue.valueStart] !== 0) throw new DerError('signature BIT STRING has unused bits');
  const fields = children(der, tbs);
  let i = 0;
  let version = 1;
  if (fields[i]?.tag === 0xa0) {
    const [v, extraV] = children(der, fields[i++]);
    if (!v || extraV) throw new DerError('bad version');
    version = readSmallInteger(der, v) + 1;
  }
  const serial = expectTlv(der, fields[i]?.start ?? tbs.end, tbs.end, TAG.INTEGER, 'serialNumber');
  i++;
  const tbsSig = fields[i++];
  const issuer = fields[i++];
  const validity = fields[i++];
  const subject = fields[i++];
  const spki = fields[i++];
  if (!tbsSig || !issuer || !validity || !subject || !spki || validity.tag !== TAG.SEQUENCE || spki.tag !== TAG.SEQUENCE) throw new DerError('TBSCertificate is incomplete');
  void serial;
  const [nb, na, extraT] = children(der, validity);
  if (!nb || !na || extraT) throw new DerError('bad validity');
  const facts: CertificateFacts = {
    der,
    key,
    version,
    tbs: bytesOf(der, tbs),
    signatureAlgorithm: bytesOf(der, sigAlg),
    tbsSignatureAlgorithm: bytesOf(der, tbsSig),
    signature: der.subarray(sigValue.valueStart + 1, sigValue.end),
    issuer: readName(der, issuer),
    subject: readName(der, subject),
    notBefore: readTime(der, nb),
    notAfter: readTime(der, na),
    spki: bytesOf(der, spki),
    spkiKey: sha256(bytesOf(der, spki)),
    extensions: new Map(),
    basicConstraints: null,
    keyUsage: null,
    eku: null,
    san: null,
    nameConstraints: null,
    ski: null,
    aki: null,
    selfIssued: false,
    defects: [],
  };
  facts.selfIssued = facts.subject.key === facts.issuer.key;
  while (fields[i] && (fields[i].tag === 0x81 || fields[i].tag === 0x82)) i++; // unique identifiers: ignored
  if (fields[i]?.tag === 0xa3) {
    if (version !== 3) facts.defects.push('extensions in a certificate that is not version 3');
    readExtensions(der, fields[i++], facts);
  }
  if (i !== fields.length) throw new DerError('unexpected fields in TBSCertificate');
  return facts;
}

const cache = new BoundedCache<string, CertificateFacts | DerError>(20_000);
const byBuffer = new WeakMap<Uint8Array, CertificateFacts | DerError>();

/**
 * Facts of a certificate, decoded once per distinct DER (bounded cache, oldest dropped first). The
 * same buffer object (a PEM decoded once, see pem.decode.ts) hits a WeakMap first; otherwise the
 * SHA-256 of the DER, which is the facts' `key` anyway.
 */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  let hit = byBuffer.get(der);
  if (hit === undefined) {
    const id = sha256(der);
    hit = cache.getOrSet(id, () => {
      try {
        return decodeCertificate(der, id);
      } catch (error) {
        return error instanceof DerError ? error : new DerError(String(error));
      }
    });
    byBuffer.set(der, hit);
  }
  if (hit instanceof DerError) throw hit;
  return hit;
}
