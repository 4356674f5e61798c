import type { IssueOutcome } from '../ca-adapter.port';

/**
 * Where the gateway is with one request.
 * - `issued`: the CA returned a certificate. Final: the request is never issued again.
 * - `pending`: the CA has it and will answer later. Not final.
 * - `refused`: the CA said no. Final.
 * - `failed`: the gateway refused it before any CA saw it (unknown issuer, CSR rejected). Final.
 */
export type IssuanceState = 'issued' | 'pending' | 'refused' | 'failed';

/** What is kept of the answer: the adapter's outcome, or the gateway's own refusal. */
export type IssuanceOutcome = IssueOutcome | { kind: 'failed'; code: string; message: string };

export function stateOf(outcome: IssuanceOutcome): IssuanceState {
  return outcome.kind;
}
