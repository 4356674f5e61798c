import { DerError, TAG, bytesOf, children, readOid, readWhole, type Tlv } from './der.reader';
import { readName, type NameFacts } from './name.facts';

/**
 * GeneralName (RFC 5280 §4.2.1.6) as the name checks need it. Text forms (DNS, email, URI) must be
 * IA5 (ASCII): a non-ASCII byte is an encoding error, which rejects the certificate rather than
 * letting a look-alike name through.
 */
export type GeneralName =
  | { kind: 'dns' | 'email' | 'uri'; text: string }
  | { kind: 'ip'; bytes: Uint8Array }
  | { kind: 'dn'; name: NameFacts }
  | { kind: 'other'; oid: string; value: string }
  | { kind: 'x400' | 'edi' | 'rid'; value: string };

function ia5(buf: Uint8Array, tlv: Tlv): string {
  for (let i = tlv.valueStart; i < tlv.end; i++) if (buf[i] > 0x7f) throw new DerError('IA5String with a non-ASCII byte');
  return Buffer.from(buf.buffer, buf.byteOffset + tlv.valueStart, tlv.end - tlv.valueStart).toString('latin1');
}

function hex(buf: Uint8Array, tlv: Tlv): string {
  return Buffer.from(bytesOf(buf, tlv)).toString('hex');
}

/** Reads one GeneralName TLV. */
export function readGeneralName(buf: Uint8Array, tlv: Tlv): GeneralName {
  switch (tlv.tag) {
    case 0xa0: {
      const [type, value, extra] = children(buf, tlv);
      if (!type || !value || extra || value.tag !== 0xa0) throw new DerError('bad otherName');
      return { kind: 'other', oid: readOid(buf, type), value: hex(buf, value) };
    }
    case 0x81:
      return { kind: 'email', text: ia5(buf, tlv) };
    case 0x82:
      return { kind: 'dns', text: ia5(buf, tlv) };
    case 0x86:
      return { kind: 'uri', text: ia5(buf, tlv) };
    case 0x87:
      return { kind: 'ip', bytes: buf.subarray(tlv.valueStart, tlv.end) };
    case 0xa4: {
      const [name, extra] = children(buf, tlv);
      if (!name || extra) throw new DerError('bad directoryName');
      return { kind: 'dn', name: readName(buf, name) };
    }
    case 0xa3:
      return { kind: 'x400', value: hex(buf, tlv) };
    case 0xa5:
      return { kind: 'edi', value: hex(buf, tlv) };
    case 0x88:
      return { kind: 'rid', value: hex(buf, tlv) };
    default:
      throw new DerError(`unknown GeneralName tag 0x${tlv.tag.toString(16)}`);
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, as a whole extension value. */
export function readGeneralNames(value: Uint8Array): GeneralName[] {
  const seq = readWhole(value);
  if (seq.tag !== TAG.SEQUENCE) throw new DerError('GeneralNames is not a SEQUENCE');
  const items = children(value, seq);
  if (items.length === 0) throw new DerError('empty GeneralNames');
  return items.map((t) => readGeneralName(value, t));
}

/** Name constraints: the permitted and excluded subtrees' base names (minimum/maximum must be absent). */
export interface NameConstraints {
  permitted: GeneralName[] | null;
  excluded: GeneralName[] | null;
}

function readSubtrees(buf: Uint8Array, tlv: Tlv): GeneralName[] {
  const subtrees = children(buf, tlv);
  if (subtrees.length === 0) throw new DerError('empty GeneralSubtrees');
  return subtrees.map((subtree) => {
    if (subtree.tag !== TAG.SEQUENCE) throw new DerError('GeneralSubtree is not a SEQUENCE');
    const [base, ...rest] = children(buf, subtree);
    if (!base) throw new DerError('GeneralSubtree without a base');
    // RFC 5280: minimum MUST be zero (so, absent in DER) and maximum MUST be absent.
    if (rest.length > 0) throw new DerError('GeneralSubtree minimum/maximum are not allowed');
    return readGeneralName(buf, base);
  });
}

/** NameConstraints; at least one of the two lists must be present (RFC 5280 §4.2.1.10). */
export function readNameConstraints(value: Uint8Array): NameConstraints {
  const seq = readWhole(value);
  if (seq.tag !== TAG.SEQUENCE) throw new DerError('NameConstraints is not a SEQUENCE');
  const out: NameConstraints = { permitted: null, excluded: null };
  let last = -1;
  for (const part of children(value, seq)) {
    const index = part.tag === 0xa0 ? 0 : part.tag === 0xa1 ? 1 : -1;
    if (index <= last) throw new DerError('bad NameConstraints field');
    last = index;
    if (index === 0) out.permitted = readSubtrees(value, part);
    else out.excluded = readSubtrees(value, part);
  }
  if (!out.permitted && !out.excluded) throw new DerError('NameConstraints with neither permitted nor excluded subtrees');
  return out;
}
