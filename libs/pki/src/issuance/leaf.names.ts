import { isIP } from 'node:net';
import { normalizeHost } from '@certflow/contracts';

/** The DNS names and IP addresses a leaf certifies (its subjectAltName). */
export interface LeafNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** What is left when one list of names is held against another: what the other lacks, and what it has beyond. */
export interface NamesDifference {
  missing: string[];
  extra: string[];
}

function canonicalIpv6(ip: string): string {
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

/** A name as certflow compares names: a host name as `normalizeHost` writes it, IPv6 in canonical form. */
export function comparableName(name: string): string {
  const n = normalizeHost(name);
  return isIP(n) === 6 ? canonicalIpv6(n) : n;
}

/**
 * The names certflow certifies for a request for `host`: the CSR's DNS and IP subjectAltNames, with
 * the host added first when it is not among them (as an IP name when it is an address). Nothing else
 * of the CSR reaches the leaf: its other CNs, O, OU and requested extensions are requests, not facts.
 * The caller has checked every CSR name (the requester's host patterns, the host among them).
 */
export function namesToCertify(csr: LeafNames, host: string): LeafNames {
  const wanted = comparableName(host);
  const hostIsIp = isIP(wanted) !== 0;
  const dnsNames = uniqueNames(csr.dnsNames);
  const ipAddresses = uniqueNames(csr.ipAddresses);
  const list = hostIsIp ? ipAddresses : dnsNames;
  if (!list.some((n) => comparableName(n) === wanted)) list.unshift(wanted);
  return { dnsNames, ipAddresses };
}

function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = comparableName(n);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `expected` held against `actual`, compared as {@link comparableName}; each side deduplicated, in comparable form. */
export function compareNames(expected: readonly string[], actual: readonly string[]): NamesDifference {
  const want = new Set(expected.map(comparableName));
  const have = new Set(actual.map(comparableName));
  return { missing: [...want].filter((n) => !have.has(n)), extra: [...have].filter((n) => !want.has(n)) };
}
