import { DerError, TAG, bytesOf, children, readBitString, readOid, readSmallInteger, readWhole, valueOf } from './path/der.reader';
import { readGeneralNames } from './path/general-name.reader';
import { OID_CN, attributeTexts, commonNameOf, readName } from './path/name.facts';
import { ipAddressText } from './ip-address.text';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

/** A PKCS#10 request as `checkCsr` needs it, read straight from the DER. */
export interface CsrStructure {
  /** CertificationRequestInfo: what the signature covers. */
  signed: Uint8Array;
  signatureAlgorithm: Uint8Array;
  signature: Uint8Array;
  subjectDer: Uint8Array;
  spki: Uint8Array;
  /** The last CN, as clients read it. */
  commonName?: string;
  /** Every CN of the subject, in order: each is a name the requester asks for, and is checked. */
  commonNames: string[];
  dnsNames: string[];
  ipAddresses: string[];
}

/** The SAN asked for in the extensionRequest attribute, if any. */
function requestedSan(der: Uint8Array, attributes: ReturnType<typeof children>): { dnsNames: string[]; ipAddresses: string[] } {
  const out = { dnsNames: [] as string[], ipAddresses: [] as string[] };
  for (const attribute of attributes) {
    const [type, values] = children(der, attribute);
    if (!type || !values || values.tag !== TAG.SET) throw new DerError('bad CSR attribute');
    if (readOid(der, type) !== EXTENSION_REQUEST) continue;
    for (const extensions of children(der, values)) {
      for (const extension of children(der, extensions)) {
        const parts = children(der, extension);
        const value = parts[parts.length - 1];
        if (!parts[0] || value?.tag !== TAG.OCTET_STRING || readOid(der, parts[0]) !== SUBJECT_ALT_NAME) continue;
        for (const name of readGeneralNames(valueOf(der, value))) {
          if (name.kind === 'dns') out.dnsNames.push(name.text);
          else if (name.kind === 'ip' && (name.bytes.length === 4 || name.bytes.length === 16)) out.ipAddresses.push(ipAddressText(name.bytes));
        }
      }
    }
  }
  return out;
}

/**
 * Reads a CertificationRequest (RFC 2986) with the path engine's DER reader: a fraction of what the
 * ASN.1 schema library costs, and this runs for every request in two services.
 *
 * @throws DerError when the structure is not a PKCS#10 request (trailing data included).
 */
export function readCsr(der: Uint8Array): CsrStructure {
  const [info, algorithm, signature, extra] = children(der, readWhole(der));
  if (!info || info.tag !== TAG.SEQUENCE || algorithm?.tag !== TAG.SEQUENCE || !signature || extra) throw new DerError('not a CertificationRequest');
  const [version, subject, spki, attributes, more] = children(der, info);
  if (version?.tag !== TAG.INTEGER || readSmallInteger(der, version) !== 0) throw new DerError('CSR version is not 1');
  if (subject?.tag !== TAG.SEQUENCE || spki?.tag !== TAG.SEQUENCE || (attributes && attributes.tag !== 0xa0) || more) throw new DerError('bad CertificationRequestInfo');
  const bits = readBitString(der, signature);
  if (bits.unused !== 0) throw new DerError('signature has unused bits');
  const name = readName(der, subject);
  // Every CN is checked against what the requester may ask for: one that cannot be read as text could not be.
  if (name.rdns.some((rdn) => rdn.some((a) => a.oid === OID_CN && a.text === undefined))) throw new DerError('a CN that is not a string');
  const commonName = commonNameOf(name);
  const csr: CsrStructure = {
    signed: bytesOf(der, info),
    signatureAlgorithm: bytesOf(der, algorithm),
    signature: bits.bytes,
    subjectDer: bytesOf(der, subject),
    spki: bytesOf(der, spki),
    commonNames: attributeTexts(name, OID_CN),
    ...requestedSan(der, attributes ? children(der, attributes) : []),
  };
  if (commonName !== undefined) csr.commonName = commonName;
  return csr;
}
