import { DerError, TAG, children, readBitString, readBoolean, readOid, readSmallInteger, readWhole } from './der.reader';
import { readGeneralName } from './general-name.reader';

/** Extension OIDs path validation knows. */
export const EXT = {
  SKI: '2.5.29.14',
  KEY_USAGE: '2.5.29.15',
  SAN: '2.5.29.17',
  BASIC_CONSTRAINTS: '2.5.29.19',
  NAME_CONSTRAINTS: '2.5.29.30',
  CRL_DP: '2.5.29.31',
  POLICIES: '2.5.29.32',
  POLICY_MAPPINGS: '2.5.29.33',
  AKI: '2.5.29.35',
  POLICY_CONSTRAINTS: '2.5.29.36',
  EKU: '2.5.29.37',
  INHIBIT_ANY_POLICY: '2.5.29.54',
  AIA: '1.3.6.1.5.5.7.1.1',
} as const;

/** Key usage bits, as `1 << bit number` of the KeyUsage BIT STRING. */
export const KU = { digitalSignature: 1 << 0, keyCertSign: 1 << 5 } as const;

const KU_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

/** A mask of KeyUsage names ('digitalSignature', 'keyCertSign', …); unknown names throw. */
export function keyUsageMask(names: string[]): number {
  let mask = 0;
  for (const name of names) {
    const bit = KU_BITS.indexOf(name);
    if (bit < 0) throw new Error(`unknown key usage '${name}'`);
    mask |= 1 << bit;
  }
  return mask;
}

export const EKU_OID = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', any: '2.5.29.37.0' } as const;

export interface BasicConstraints {
  ca: boolean;
  pathLength?: number;
}

export function readBasicConstraints(value: Uint8Array): BasicConstraints {
  const seq = readWhole(value);
  if (seq.tag !== TAG.SEQUENCE) throw new DerError('BasicConstraints is not a SEQUENCE');
  const parts = children(value, seq);
  let i = 0;
  let ca = false;
  if (parts[i]?.tag === TAG.BOOLEAN) ca = readBoolean(value, parts[i++]);
  let pathLength: number | undefined;
  if (parts[i]?.tag === TAG.INTEGER) pathLength = readSmallInteger(value, parts[i++]);
  if (i !== parts.length) throw new DerError('bad BasicConstraints');
  return pathLength === undefined ? { ca } : { ca, pathLength };
}

/** KeyUsage as a bit mask (bit n of the BIT STRING → `1 << n`). */
export function readKeyUsage(value: Uint8Array): number {
  const { bytes, unused } = readBitString(value, readWhole(value));
  if (bytes.length > 2) throw new DerError('KeyUsage too long');
  let mask = 0;
  for (let bit = 0; bit < bytes.length * 8 - unused; bit++) if (bytes[bit >> 3] & (0x80 >> (bit & 7))) mask |= 1 << bit;
  return mask;
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId. */
export function readExtendedKeyUsage(value: Uint8Array): string[] {
  const seq = readWhole(value);
  if (seq.tag !== TAG.SEQUENCE) throw new DerError('EKU is not a SEQUENCE');
  const oids = children(value, seq).map((t) => readOid(value, t));
  if (oids.length === 0) throw new DerError('empty EKU');
  return oids;
}

/** SubjectKeyIdentifier: OCTET STRING, upper-case hex. */
export function readSubjectKeyIdentifier(value: Uint8Array): string {
  const tlv = readWhole(value);
  if (tlv.tag !== TAG.OCTET_STRING) throw new DerError('SKI is not an OCTET STRING');
  return Buffer.from(value.subarray(tlv.valueStart, tlv.end)).toString('hex').toUpperCase();
}

export interface AuthorityKeyId {
  keyId: string | null;
  hasIssuer: boolean;
  hasSerial: boolean;
}

export function readAuthorityKeyIdentifier(value: Uint8Array): AuthorityKeyId {
  const seq = readWhole(value);
  if (seq.tag !== TAG.SEQUENCE) throw new DerError('AKI is not a SEQUENCE');
  const out: AuthorityKeyId = { keyId: null, hasIssuer: false, hasSerial: false };
  for (const part of children(value, seq)) {
    if (part.tag === 0x80) out.keyId = Buffer.from(value.subarray(part.valueStart, part.end)).toString('hex').toUpperCase();
    else if (part.tag === 0xa1) out.hasIssuer = true;
    else if (part.tag === 0x82) out.hasSerial = true;
    else throw new DerError('bad AKI field');
  }
  // RFC 5280 §4.2.1.1: issuer and serial come together or not at all.
  if (out.hasIssuer !== out.hasSerial) throw new DerError('AKI issuer without serial, or the reverse');
  return out;
}

/** AuthorityInfoAccess: only checked to be well formed (a malformed one rejects the certificate). */
export function checkAuthorityInfoAccess(value: Uint8Array): void {
  const seq = readWhole(value);
  if (seq.tag !== TAG.SEQUENCE) throw new DerError('AIA is not a SEQUENCE');
  const items = children(value, seq);
  if (items.length === 0) throw new DerError('empty AIA');
  for (const item of items) {
    const [method, location, extra] = children(value, item);
    if (!method || !location || extra) throw new DerError('bad AccessDescription');
    readOid(value, method);
    readGeneralName(value, location);
  }
}

/** Any other extension we recognise: must at least be one well-formed TLV. */
export function checkWellFormed(value: Uint8Array): void {
  readWhole(value);
}
