import type { AcmeCallTrace } from './acme-http.transport';

const ACME = 'urn:ietf:params:acme:error:';

/**
 * What to do about an error talking to an ACME CA.
 * - `retry`: the CA may answer later (unreachable, timeout, 5xx, `badNonce`, `rateLimited`,
 *   `orderNotReady`…); keep the request pending. `afterMs` is the CA's Retry-After, when it sent one.
 * - `fail`: the CA said no for good; the request fails with `code` (stable PascalCase).
 * - `orderGone`: the order URL answers 404 (a CA that lost its state): start a new order.
 * - `accountGone`: the CA no longer knows the account (`accountDoesNotExist`): register the key again.
 */
export type AcmeErrorVerdict =
  | { kind: 'retry'; reason: string; afterMs?: number }
  | { kind: 'fail'; code: AcmeFailureCode; message: string }
  | { kind: 'orderGone'; reason: string }
  | { kind: 'accountGone'; reason: string };

/**
 * Final ACME failures (request.failed, stage issuance):
 * - `AcmeOrderInvalid`: the CA declared the order invalid (a challenge failed). Set by the poller.
 * - `AcmeCsrRejected`: the CA refused the CSR at finalize (`badCSR`).
 * - `AcmeIdentifierRejected`: the CA will not issue for a name (`rejectedIdentifier`, `unsupportedIdentifier`, `caa`).
 * - `AcmeUnauthorized`: the account may not do this (`unauthorized`, once the account exists).
 * - `AcmeAccountRejected`: the CA refused the account (EAB required or wrong, contact refused, terms to
 *   accept); the adapter also turns any final refusal of newAccount into this code (a wrong EAB HMAC
 *   key or key id comes back as `unauthorized`).
 * - `AcmeRequestRejected`: any other 4xx problem the CA sent.
 * - `AcmeChallengeUnavailable`: the CA offers none of the challenge type the issuer is configured for.
 * - `CaUnreachable`: the CA kept failing transiently for longer than the give-up time.
 */
export type AcmeFailureCode =
  | 'AcmeOrderInvalid'
  | 'AcmeCsrRejected'
  | 'AcmeIdentifierRejected'
  | 'AcmeUnauthorized'
  | 'AcmeAccountRejected'
  | 'AcmeRequestRejected'
  | 'AcmeChallengeUnavailable'
  | 'CaUnreachable';

const FINAL: Record<string, AcmeFailureCode> = {
  badCSR: 'AcmeCsrRejected',
  rejectedIdentifier: 'AcmeIdentifierRejected',
  unsupportedIdentifier: 'AcmeIdentifierRejected',
  caa: 'AcmeIdentifierRejected',
  unauthorized: 'AcmeUnauthorized',
  externalAccountRequired: 'AcmeAccountRejected',
  invalidContact: 'AcmeAccountRejected',
  unsupportedContact: 'AcmeAccountRejected',
  userActionRequired: 'AcmeAccountRejected',
  badSignatureAlgorithm: 'AcmeAccountRejected',
  badPublicKey: 'AcmeAccountRejected',
};
// Problems that say "not now": the same request can succeed later.
const TRANSIENT = new Set(['badNonce', 'rateLimited', 'serverInternal', 'orderNotReady', 'connection', 'dns']);

/** Retry-After as milliseconds (seconds or an HTTP date), relative to `now`. */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * Classifies a thrown error from one ACME call, given what the HTTP layer saw (the trace).
 * `orderUrl`: the order being driven, so a 404 on it (and only on it) reads as "order gone".
 */
export function classifyAcmeError(error: unknown, trace: AcmeCallTrace, now: Date, orderUrl?: string | null): AcmeErrorVerdict {
  const message = error instanceof Error ? error.message : String(error);
  const problem = trace.lastProblem;
  if (!problem) {
    // No answer from the CA: refused connection, timeout, DNS, TLS, or a body that is not ACME.
    return { kind: 'retry', reason: `CA unreachable (${trace.networkError ?? message})` };
  }
  const type = problem.type?.startsWith(ACME) ? problem.type.slice(ACME.length) : problem.type;
  const said = `${problem.status}${type ? ` ${type}` : ''}: ${problem.detail ?? message}`;
  if (type === 'accountDoesNotExist') return { kind: 'accountGone', reason: said };
  if (problem.status === 404 && orderUrl && problem.url === orderUrl) return { kind: 'orderGone', reason: said };
  if (problem.status === 429 || problem.status >= 500 || (type && TRANSIENT.has(type)) || problem.status === 404) {
    return { kind: 'retry', reason: `CA answered ${said}`, afterMs: retryAfterMs(problem.retryAfter, now) };
  }
  const code = (type && FINAL[type]) || 'AcmeRequestRejected';
  return { kind: 'fail', code, message: `the ACME CA refused: ${said}` };
}
