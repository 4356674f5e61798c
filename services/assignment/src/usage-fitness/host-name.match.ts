import { isIP } from 'node:net';
import { normalizeHost } from '@certflow/contracts';

/** The names a certificate is for (as libs/pki `certificateNames` reads them). */
export interface CertificateNames {
  dnsNames: string[];
  ipAddresses: string[];
  commonName?: string;
}

/** An IP address in one canonical text form ("::0001" and "::1" compare equal); `null` if not an IP. */
function canonicalIp(value: string): string | null {
  const text = value.trim().replace(/^\[|\]$/g, '');
  const family = isIP(text);
  if (family === 0) return null;
  try {
    return new URL(`http://${family === 6 ? `[${text}]` : text}/`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * RFC 6125 matching of a DNS name against a certificate name: case-insensitive, and a wildcard only as
 * the whole left-most label, standing for exactly one label ("*.example.com" matches "a.example.com",
 * not "example.com" nor "a.b.example.com"). A wildcard over fewer than two labels ("*.com") matches nothing.
 */
export function dnsNameMatches(host: string, pattern: string): boolean {
  const h = normalizeHost(host);
  const p = normalizeHost(pattern);
  if (!h || !p) return false;
  if (!p.startsWith('*.')) return h === p;
  const suffix = p.slice(2);
  if (suffix.split('.').length < 2 || suffix.includes('*')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === suffix;
}

/**
 * Whether `host` is among the certificate's names: its DNS SANs (wildcards as above) or IP SANs; the
 * subject CN counts only when the certificate has no DNS or IP SAN at all (as browsers do).
 */
export function hostInCertificate(host: string, names: CertificateNames): boolean {
  const ip = canonicalIp(host);
  const hasSan = names.dnsNames.length > 0 || names.ipAddresses.length > 0;
  if (ip) {
    if (names.ipAddresses.some((a) => canonicalIp(a) === ip)) return true;
    return !hasSan && names.commonName !== undefined && canonicalIp(names.commonName) === ip;
  }
  if (names.dnsNames.some((n) => dnsNameMatches(host, n))) return true;
  return !hasSan && names.commonName !== undefined && dnsNameMatches(host, names.commonName);
}
