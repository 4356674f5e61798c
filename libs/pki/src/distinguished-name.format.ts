import { x509 } from './x509.setup';

/**
 * Distinguished names as operators read them.
 *
 * Display follows RFC 4514: the most specific RDN first ("CN=host, O=Acme, C=US"), which is also what
 * Windows and `openssl -nameopt RFC2253` show. Names written by this lib are encoded the usual way
 * round (C first in the DER), so a subject given as "CN=x, O=y" reads back as "CN=x, O=y".
 */

const SPECIAL = /[,+"\\<>;=]/g;

function escapeValue(value: string): string {
  let out = value.replace(SPECIAL, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function rdns(name: x509.Name): Record<string, string[]>[] {
  return name.toJSON() as Record<string, string[]>[];
}

/** "CN=host, O=Acme\, Inc., C=US": RFC 4514 order (most specific first), `+` joins a multi-valued RDN. */
export function formatName(name: x509.Name): string {
  try {
    return rdns(name)
      .slice()
      .reverse()
      .map((rdn) =>
        Object.entries(rdn)
          .flatMap(([type, values]) => values.map((v) => `${type}=${escapeValue(v)}`))
          .join('+'),
      )
      .join(', ');
  } catch {
    return `#${Buffer.from(name.toArrayBuffer()).toString('hex')}`;
  }
}

/**
 * Parses an operator's DN ("CN=Acme Root, O=Acme", RFC 4514 order) into a Name encoded C-first.
 * A bare string without "=" is taken as a common name ("host.example.com" → "CN=host.example.com").
 */
export function parseName(dn: string): x509.Name {
  const text = dn.includes('=') ? dn : `CN=${dn.replace(SPECIAL, (c) => `\\${c}`)}`;
  const parsed = new x509.Name(text);
  return new x509.Name(rdns(parsed).slice().reverse());
}


const canonicalCache = new WeakMap<object, string>();

/**
 * A key that is equal for two names RFC 5280 §7.1 would match: RDNs in order, attributes sorted,
 * values trimmed, inner whitespace collapsed and case folded (a simplified RFC 4518 preparation).
 */
export function canonicalName(name: x509.Name): string {
  const cached = canonicalCache.get(name);
  if (cached !== undefined) return cached;
  let key: string;
  try {
    key = rdns(name)
      .map((rdn) =>
        Object.entries(rdn)
          .flatMap(([type, values]) => values.map((v) => `${type.toUpperCase()}=${v.trim().replace(/\s+/g, ' ').toLowerCase()}`))
          .sort()
          .join('+'),
      )
      .join('\u0000');
  } catch {
    key = `#${Buffer.from(name.toArrayBuffer()).toString('hex')}`;
  }
  canonicalCache.set(name, key);
  return key;
}
