import { DerError, TAG, bytesOf, children, readOid, type Tlv } from './der.reader';

/**
 * Distinguished names as path validation needs them: a matching key (RFC 5280 §7.1: attribute
 * values compared after case folding and whitespace collapsing, the simplified RFC 4518 rule other
 * validators use), the RDN sequence for DN name constraints, and the CN / emailAddress values.
 */

export const OID_CN = '2.5.4.3';
export const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

/** One attribute of an RDN: its type, and a comparable value. */
export interface Attribute {
  oid: string;
  /** Folded text for string types; `#hex` of the DER value otherwise. */
  value: string;
  /** The decoded text for string types, unfolded (CN, emailAddress). */
  text?: string;
}

export interface NameFacts {
  /** RDNs in encoded order, each a sorted list of attributes. */
  rdns: Attribute[][];
  /** Equal for names that match under RFC 5280 §7.1. */
  key: string;
  empty: boolean;
}

const STRING_TAGS = new Set<number>([TAG.UTF8, TAG.PRINTABLE, TAG.T61, TAG.IA5, TAG.UNIVERSAL, TAG.BMP, 0x1a /* VisibleString */]);

function decodeString(buf: Uint8Array, tlv: Tlv): string {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset + tlv.valueStart, tlv.end - tlv.valueStart);
  switch (tlv.tag) {
    case TAG.BMP: {
      if (bytes.length % 2) throw new DerError('odd BMPString');
      const swapped = Buffer.from(bytes);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case TAG.UNIVERSAL: {
      if (bytes.length % 4) throw new DerError('bad UniversalString');
      let s = '';
      for (let i = 0; i < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    case TAG.UTF8:
      return bytes.toString('utf8');
    default:
      return bytes.toString('latin1');
  }
}

function fold(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Parses a Name (SEQUENCE OF SET OF AttributeTypeAndValue). */
export function readName(buf: Uint8Array, name: Tlv): NameFacts {
  if (name.tag !== TAG.SEQUENCE) throw new DerError('Name is not a SEQUENCE');
  const rdns: Attribute[][] = [];
  for (const set of children(buf, name)) {
    if (set.tag !== TAG.SET) throw new DerError('RDN is not a SET');
    const atvs = children(buf, set);
    if (atvs.length === 0) throw new DerError('empty RDN');
    const rdn: Attribute[] = [];
    for (const atv of atvs) {
      if (atv.tag !== TAG.SEQUENCE) throw new DerError('attribute is not a SEQUENCE');
      const [type, value, extra] = children(buf, atv);
      if (!type || !value || extra) throw new DerError('attribute must be type and value');
      const oid = readOid(buf, type);
      if (STRING_TAGS.has(value.tag)) {
        const text = decodeString(buf, value);
        rdn.push({ oid, value: fold(text), text });
      } else {
        rdn.push({ oid, value: `#${Buffer.from(bytesOf(buf, value)).toString('hex')}` });
      }
    }
    rdn.sort((a, b) => (a.oid + '=' + a.value < b.oid + '=' + b.value ? -1 : 1));
    rdns.push(rdn);
  }
  const key = rdns.map((rdn) => rdn.map((a) => `${a.oid}=${a.value}`).join('+')).join('\u0000');
  return { rdns, key, empty: rdns.length === 0 };
}

/** Values of one attribute type, in order (e.g. every CN). */
export function attributeTexts(name: NameFacts, oid: string): string[] {
  const out: string[] = [];
  for (const rdn of name.rdns) for (const a of rdn) if (a.oid === oid && a.text !== undefined) out.push(a.text);
  return out;
}

/** `true` when `prefix`'s RDNs are the first RDNs of `name` (DN name constraints, RFC 5280 §4.2.1.10). */
export function nameHasPrefix(name: NameFacts, prefix: NameFacts): boolean {
  if (prefix.rdns.length > name.rdns.length) return false;
  for (let i = 0; i < prefix.rdns.length; i++) {
    const a = prefix.rdns[i];
    const b = name.rdns[i];
    if (a.length !== b.length) return false;
    for (let j = 0; j < a.length; j++) if (a[j].oid !== b[j].oid || a[j].value !== b[j].value) return false;
  }
  return true;
}

/** The subject's common name as text: the last CN, as clients read it; undefined when it has none. */
export function commonNameOf(name: NameFacts): string | undefined {
  const cns = name.rdns.flat().filter((a) => a.oid === OID_CN && a.text !== undefined);
  return cns.length > 0 ? cns[cns.length - 1].text : undefined;
}
