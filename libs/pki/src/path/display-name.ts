import type { CertificateFacts } from './certificate.facts';
import type { NameFacts } from './name.facts';

/**
 * Names as operators read them in reasons: RFC 4514 order (most specific first), common attribute
 * types by their short names. Only for words; matching uses `NameFacts.key`.
 */
const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'E',
};

/** "CN=host, O=Acme" for a name; "(empty name)" for an empty one. */
export function formatNameFacts(name: NameFacts): string {
  if (name.empty) return '(empty name)';
  return name.rdns
    .slice()
    .reverse()
    .map((rdn) => rdn.map((a) => `${SHORT[a.oid] ?? a.oid}=${a.text ?? a.value}`).join('+'))
    .join(', ');
}

/** A certificate in a reason: its subject in quotes. */
export function displayName(cert: CertificateFacts): string {
  return `'${formatNameFacts(cert.subject)}'`;
}
