import type { MissingIssuer } from '@certflow/contracts';

/**
 * Keys that tie an incomplete validation to the issuers it waits for, so an import re-validates only
 * the requests that named the imported certificate:
 * - `aki:<HEX>`: the missing issuer's key identifier (the leaf's AKI = the issuer's SKI), upper-case hex;
 * - `dn:<subject>`: the missing issuer's subject, compared case- and space-insensitively.
 * A missing issuer yields both keys when it has an AKI, so an issuer without an SKI still matches by name.
 */
export type IssuerKey = `aki:${string}` | `dn:${string}`;

function hexKey(hex: string): IssuerKey | null {
  const value = hex.replace(/[\s:]/g, '').toUpperCase();
  return /^[0-9A-F]+$/.test(value) ? `aki:${value}` : null;
}

function nameKey(subject: string): IssuerKey | null {
  const value = subject.trim().replace(/\s+/g, ' ').toLowerCase();
  return value ? `dn:${value}` : null;
}

function unique(keys: (IssuerKey | null)[]): IssuerKey[] {
  return [...new Set(keys.filter((k): k is IssuerKey => k !== null))].sort();
}

/** The keys an incomplete validation waits on, from its missing issuers. */
export function waitingOnKeys(missing: readonly MissingIssuer[]): IssuerKey[] {
  return unique(missing.flatMap((m) => [m.authorityKeyIdentifier ? hexKey(m.authorityKeyIdentifier) : null, nameKey(m.subject)]));
}

/** The keys an imported certificate satisfies: its subject key identifier and its subject. */
export function issuerKeysOf(certs: readonly { subject: string; subjectKeyIdentifier: string | null }[]): IssuerKey[] {
  return unique(certs.flatMap((c) => [c.subjectKeyIdentifier ? hexKey(c.subjectKeyIdentifier) : null, nameKey(c.subject)]));
}
