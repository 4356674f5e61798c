/**
 * A strict, allocation-light DER reader. Path validation needs the raw encodings that
 * @peculiar/x509 normalises away (exact time formats, duplicate or critical extensions, the
 * bytes of names for comparison), and it must never be slowed down by a hostile input: every read
 * is bounds-checked against its parent and throws {@link DerError} on anything that is not DER.
 */

/** Any encoding that is not valid DER for the structure expected. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** One tag-length-value inside `buf`: the value is `buf[valueStart, end)`. */
export interface Tlv {
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  T61: 0x14,
  IA5: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL: 0x1c,
  BMP: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the TLV at `pos`, which must end at or before `limit`. */
export function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated header');
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in certificates');
  let len = buf[pos + 1];
  let valueStart = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER');
    if (n > 4) throw new DerError('length too large');
    if (valueStart + n > limit) throw new DerError('truncated length');
    if (buf[valueStart] === 0) throw new DerError('non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[valueStart + i];
    if (len < 0x80) throw new DerError('non-minimal length');
    valueStart += n;
  }
  const end = valueStart + len;
  if (end > limit) throw new DerError('value runs past its container');
  return { tag, start: pos, valueStart, end };
}

/** Reads the TLV at `pos` and checks its tag. */
export function expectTlv(buf: Uint8Array, pos: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, pos, limit);
  if (tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The TLVs inside a constructed value, in order. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.valueStart;
  while (pos < parent.end) {
    const tlv = readTlv(buf, pos, parent.end);
    out.push(tlv);
    pos = tlv.end;
  }
  return out;
}

/** Reads exactly one TLV spanning the whole of `buf` (an extension value, a whole certificate). */
export function readWhole(buf: Uint8Array): Tlv {
  const tlv = readTlv(buf, 0, buf.length);
  if (tlv.end !== buf.length) throw new DerError('trailing data');
  return tlv;
}

export function valueOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.valueStart, tlv.end);
}

export function bytesOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

const oidCache = new Map<string, string>();

/** Dotted OID text of an OBJECT IDENTIFIER. */
export function readOid(buf: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== TAG.OID || tlv.end === tlv.valueStart) throw new DerError('not an OID');
  const key = Buffer.from(buf.buffer, buf.byteOffset + tlv.valueStart, tlv.end - tlv.valueStart).toString('latin1');
  const cached = oidCache.get(key);
  if (cached !== undefined) return cached;
  const arcs: number[] = [];
  let value = 0;
  for (let i = tlv.valueStart; i < tlv.end; i++) {
    const b = buf[i];
    if (value === 0 && b === 0x80) throw new DerError('non-minimal OID arc');
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0;
    } else if (i + 1 === tlv.end) throw new DerError('truncated OID');
  }
  const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
  const text = [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
  if (oidCache.size < 10_000) oidCache.set(key, text);
  return text;
}

/** DER BOOLEAN: 0x00 or 0xFF only. */
export function readBoolean(buf: Uint8Array, tlv: Tlv): boolean {
  if (tlv.tag !== TAG.BOOLEAN || tlv.end - tlv.valueStart !== 1) throw new DerError('not a BOOLEAN');
  const v = buf[tlv.valueStart];
  if (v !== 0 && v !== 0xff) throw new DerError('BOOLEAN not DER');
  return v === 0xff;
}

/** A small non-negative INTEGER (versions, path lengths). */
export function readSmallInteger(buf: Uint8Array, tlv: Tlv): number {
  if (tlv.tag !== TAG.INTEGER || tlv.end === tlv.valueStart) throw new DerError('not an INTEGER');
  if (buf[tlv.valueStart] & 0x80) throw new DerError('negative INTEGER');
  if (tlv.end - tlv.valueStart > 1 && buf[tlv.valueStart] === 0 && !(buf[tlv.valueStart + 1] & 0x80)) throw new DerError('non-minimal INTEGER');
  if (tlv.end - tlv.valueStart > 6) throw new DerError('INTEGER too large');
  let v = 0;
  for (let i = tlv.valueStart; i < tlv.end; i++) v = v * 256 + buf[i];
  return v;
}

/** A BIT STRING's bytes and its unused-bit count. */
export function readBitString(buf: Uint8Array, tlv: Tlv): { bytes: Uint8Array; unused: number } {
  if (tlv.tag !== TAG.BIT_STRING || tlv.end === tlv.valueStart) throw new DerError('not a BIT STRING');
  const unused = buf[tlv.valueStart];
  if (unused > 7 || (unused > 0 && tlv.end - tlv.valueStart === 1)) throw new DerError('bad BIT STRING padding');
  return { bytes: buf.subarray(tlv.valueStart + 1, tlv.end), unused };
}

function digits(text: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) throw new DerError('time has a non-digit');
    v = v * 10 + c;
  }
  return v;
}

/**
 * UTCTime (YYMMDDHHMMSSZ, years 1950–2049) or GeneralizedTime (YYYYMMDDHHMMSSZ) as epoch
 * milliseconds. RFC 5280 §4.1.2.5 forbids fractional seconds and offsets: they are rejected.
 */
export function readTime(buf: Uint8Array, tlv: Tlv): number {
  const text = Buffer.from(buf.buffer, buf.byteOffset + tlv.valueStart, tlv.end - tlv.valueStart).toString('latin1');
  let year: number;
  let rest: number;
  if (tlv.tag === TAG.UTC_TIME) {
    if (text.length !== 13 || text[12] !== 'Z') throw new DerError('UTCTime must be YYMMDDHHMMSSZ');
    const yy = digits(text, 0, 2);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = 2;
  } else if (tlv.tag === TAG.GENERALIZED_TIME) {
    if (text.length !== 15 || text[14] !== 'Z') throw new DerError('GeneralizedTime must be YYYYMMDDHHMMSSZ');
    year = digits(text, 0, 4);
    rest = 4;
  } else throw new DerError('not a time');
  const month = digits(text, rest, 2);
  const day = digits(text, rest + 2, 2);
  const hour = digits(text, rest + 4, 2);
  const minute = digits(text, rest + 6, 2);
  const second = digits(text, rest + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) throw new DerError('time out of range');
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day) throw new DerError('no such day');
  return ms;
}
