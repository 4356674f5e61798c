/**
 * The public states of a certificate request (see CONTRACT.md). Owned by the request service; other
 * services only publish facts that move a request between them.
 * - SUBMITTED: accepted, not yet with a CA.
 * - PENDING: the CA has it (ACME order in flight, offline issuer waiting for an upload).
 * - ISSUED: the CA returned a certificate; validation under way.
 * - CHAIN_INCOMPLETE: the root or an intermediate is missing; waits for an import.
 * - ASSIGNABLE: trust-validation emitted chain.complete; waits for Assign (or auto-assign runs).
 * - ASSIGNED: bound to its usages (final but for SUPERSEDED: a renewal takes its bindings over).
 * - FAILED: final. CA refused, CA unreachable after retries, certificate invalid.
 * - SUPERSEDED: final. Was ASSIGNED; every binding it had was taken over by a later certificate
 *   (its renewal, as a rule), so it is no longer bound anywhere.
 * - REVOKED: final. Its certificate was revoked (certificate.revoked from ca-gateway); reached from
 *   ISSUED, CHAIN_INCOMPLETE, ASSIGNABLE, ASSIGNED and SUPERSEDED. certflow never un-revokes.
 */
export const REQUEST_STATES = [
  'SUBMITTED',
  'PENDING',
  'ISSUED',
  'CHAIN_INCOMPLETE',
  'ASSIGNABLE',
  'ASSIGNED',
  'FAILED',
  'SUPERSEDED',
  'REVOKED',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export function isRequestState(value: unknown): value is RequestState {
  return typeof value === 'string' && (REQUEST_STATES as readonly string[]).includes(value);
}
