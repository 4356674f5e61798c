import type { CertificateFacts } from './certificate.facts';
import { isDnsName, normalizeDnsName, parseIp, sameBytes, splitMailbox } from './host-name.syntax';

/**
 * Is the certificate for the name the client asked for? Only the subjectAltName counts (RFC 6125
 * §6.4.4 and the CA/Browser Forum: the subject CN is never consulted). DNS names compare without
 * case; a wildcard is only a whole leftmost label `*` and stands for exactly one label. An IP
 * address matches only an iPAddress entry, byte for byte.
 */
export type PeerName = { kind: 'DNS' | 'IP' | 'RFC822'; value: string };

/** `true` when DNS name `pattern` (from a SAN) covers host `host` (both normalised). */
export function dnsNameMatches(pattern: string, host: string): boolean {
  if (pattern === host) return isDnsName(pattern);
  if (!pattern.startsWith('*.') || !isDnsName(pattern, true)) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

/** `null` when the certificate is for `peer`, else why not, in words. */
export function peerNameMismatch(leaf: CertificateFacts, peer: PeerName): string | null {
  const san = leaf.san ?? [];
  if (san.length === 0) return 'it has no subjectAltName extension (the subject CN is not used for host names)';
  if (peer.kind === 'DNS') {
    const host = normalizeDnsName(peer.value);
    if (!isDnsName(host)) return `'${peer.value}' is not a valid DNS name`;
    for (const n of san) if (n.kind === 'dns' && dnsNameMatches(normalizeDnsName(n.text), host)) return null;
    return `none of its DNS names (${namesOf(leaf, 'dns')}) matches '${peer.value}'`;
  }
  if (peer.kind === 'IP') {
    const ip = parseIp(peer.value);
    if (!ip) return `'${peer.value}' is not a valid IP address`;
    for (const n of san) if (n.kind === 'ip' && sameBytes(n.bytes, ip)) return null;
    return `none of its IP addresses matches ${peer.value}`;
  }
  const wanted = splitMailbox(peer.value);
  if (!wanted) return `'${peer.value}' is not a valid e-mail address`;
  for (const n of san) {
    if (n.kind !== 'email') continue;
    const got = splitMailbox(n.text);
    if (got && got.local === wanted.local && got.domain === wanted.domain) return null;
  }
  return `none of its e-mail addresses matches '${peer.value}'`;
}

function namesOf(leaf: CertificateFacts, kind: 'dns'): string {
  const list = (leaf.san ?? []).filter((n) => n.kind === kind).map((n) => (n as { text: string }).text);
  return list.length ? list.join(', ') : 'none';
}
