import { isIPv4, isIPv6 } from 'node:net';

/**
 * Syntax of the names compared on a path. A name that breaks its syntax never matches anything:
 * a look-alike (an underscore, a stray wildcard, an IP in a DNS field) must not pass as another.
 */

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A DNS name in "preferred name syntax" (RFC 1034 §3.5 as relaxed by RFC 1123 §2.1), lower-case,
 * without a trailing dot. With `wildcard`, a leftmost label of exactly `*` is allowed, and then at
 * least two labels must follow it (`*.com` and `*` alone are refused, as browsers do).
 */
export function isDnsName(name: string, wildcard = false): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  let start = 0;
  if (wildcard && labels[0] === '*') {
    if (labels.length < 3) return false;
    start = 1;
  }
  for (let i = start; i < labels.length; i++) if (!LABEL.test(labels[i])) return false;
  // An all-numeric last label would make an IP address look like a name.
  return !/^[0-9]+$/.test(labels[labels.length - 1]);
}

/** Lower-cases and drops one trailing dot (an absolute name is the same host). */
export function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** IPv4 or IPv6 text (RFC 4291 forms, no zone) to its 4 or 16 bytes; `null` if it is not one. */
export function parseIp(text: string): Uint8Array | null {
  if (isIPv4(text)) {
    const parts = text.split('.').map(Number);
    return Uint8Array.from(parts);
  }
  if (!isIPv6(text) || text.includes('%')) return null;
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = text.slice(lastColon + 1).split('.').map(Number);
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.split('::');
  const l = left ? left.split(':') : [];
  const r = right !== undefined && right !== '' ? right.split(':') : [];
  const groups = head.includes('::') ? [...l, ...Array(8 - l.length - r.length).fill('0'), ...r] : l;
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (v4.length === 4) out.set(v4, 12);
  return out;
}

/** Byte-wise equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An RFC 5280 mailbox `local@domain`: a non-empty local part and a valid domain. */
export function splitMailbox(mailbox: string): { local: string; domain: string } | null {
  const at = mailbox.lastIndexOf('@');
  if (at <= 0) return null;
  const local = mailbox.slice(0, at);
  const domain = mailbox.slice(at + 1).toLowerCase();
  if (!isDnsName(domain) || /[\s"@]/.test(local) || /[^\x21-\x7e]/.test(local)) return null;
  return { local, domain };
}

/** Canonical text of 4 or 16 address bytes: dotted decimal, or RFC 5952 (lower case, longest zero run as `::`). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * IPv4 as `inet_aton` reads it (1–4 parts, each decimal, octal with a leading 0, or hex with 0x):
 * the forms a look-alike name uses ("0x7f.1", "127.000.000.001"). `null` if it is not one.
 */
export function parseLegacyIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const values: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0x[0-9a-f]+$/i.test(p)) v = parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = parseInt(p, 10);
    else return null;
    values.push(v);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return null;
  const out = new Uint8Array(4);
  values.forEach((v, i) => (out[i] = v));
  for (let i = 3, rest = last; i >= values.length; i--, rest = Math.floor(rest / 256)) out[i] = rest % 256;
  return out;
}
