/**
 * A host name as certflow stores and compares it: trimmed, lower-case, without the trailing dot of a
 * fully qualified name ("Pool01.Example.COM." and "pool01.example.com" are one host). The API stores
 * a request's host, a token's host patterns and the agent's host in this form, so every side compares
 * the same text. IP addresses pass through as written (libs/pki `comparableName` also canonicalises IPv6).
 */
export function normalizeHost(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
