/**
 * The kinds of CA this gateway can talk to. An issuer (a name in CERTFLOW_ISSUERS, the `issuer` of a
 * request) is served by the adapter of its type.
 * - `internal`: the gateway's own two-tier CA; issues at once.
 * - `offline`: a CA outside any network reach; the certificate is uploaded by an operator.
 */
export const ISSUER_TYPES = ['internal', 'offline'] as const;
export type IssuerType = (typeof ISSUER_TYPES)[number];

export function isIssuerType(value: string): value is IssuerType {
  return (ISSUER_TYPES as readonly string[]).includes(value);
}
