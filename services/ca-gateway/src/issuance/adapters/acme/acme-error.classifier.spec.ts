import { classifyAcmeError, retryAfterMs } from './acme-error.classifier';
import type { AcmeCallTrace } from './acme-http.transport';

const NOW = new Date('2025-01-01T00:00:00Z');
const ORDER = 'https://ca.example/order/1';
const problem = (status: number, type?: string, extra: Partial<NonNullable<AcmeCallTrace['lastProblem']>> = {}): AcmeCallTrace => ({
  lastProblem: { status, url: 'https://ca.example/x', ...(type ? { type: `urn:ietf:params:acme:error:${type}` } : {}), detail: 'said so', ...extra },
});

describe('classifyAcmeError', () => {
  const cases: [string, AcmeCallTrace, string, Record<string, unknown>?][] = [
    ['a refused connection is retried as CA unreachable', { networkError: 'ECONNREFUSED' }, 'retry', { reason: 'CA unreachable (ECONNREFUSED)' }],
    ['a timeout is retried', { networkError: 'ECONNABORTED' }, 'retry'],
    ['an error with no answer and no code is retried, with its message', {}, 'retry', { reason: 'CA unreachable (boom)' }],
    ['a 503 is retried', problem(503), 'retry'],
    ['serverInternal is retried', problem(500, 'serverInternal'), 'retry'],
    ['badNonce (after the library used up its own retries) is retried', problem(400, 'badNonce'), 'retry'],
    ['rateLimited is retried after the Retry-After the CA sent', problem(429, 'rateLimited', { retryAfter: '120' }), 'retry', { afterMs: 120_000 }],
    ['orderNotReady is retried (the order is read again first)', problem(403, 'orderNotReady'), 'retry'],
    ['a 404 on the order being driven means the order is gone', problem(404, 'malformed', { url: ORDER }), 'orderGone'],
    ['a 404 on another URL is retried, the order itself may still be there', problem(404, 'malformed'), 'retry'],
    ['accountDoesNotExist means the account is registered again', problem(400, 'accountDoesNotExist'), 'accountGone'],
    ['badCSR fails the request as AcmeCsrRejected', problem(400, 'badCSR'), 'fail', { code: 'AcmeCsrRejected' }],
    ['rejectedIdentifier fails the request as AcmeIdentifierRejected', problem(400, 'rejectedIdentifier'), 'fail', { code: 'AcmeIdentifierRejected' }],
    ['unauthorized fails the request as AcmeUnauthorized', problem(403, 'unauthorized'), 'fail', { code: 'AcmeUnauthorized' }],
    ['externalAccountRequired fails the request as AcmeAccountRejected', problem(400, 'externalAccountRequired'), 'fail', { code: 'AcmeAccountRejected' }],
    ['an unknown 4xx problem fails the request as AcmeRequestRejected', problem(400, 'malformed'), 'fail', { code: 'AcmeRequestRejected' }],
  ];

  it.each(cases)('%s', (_sentence, trace, kind, fields = {}) => {
    const verdict = classifyAcmeError(new Error('boom'), trace, NOW, ORDER);
    expect(verdict).toMatchObject({ kind, ...fields });
  });

  it('says in a failure what the CA said', () => {
    expect(classifyAcmeError(new Error('x'), problem(400, 'badCSR'), NOW, ORDER)).toEqual({
      kind: 'fail',
      code: 'AcmeCsrRejected',
      message: 'the ACME CA refused: 400 badCSR: said so',
    });
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs('30', NOW)).toBe(30_000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:01:00 GMT', NOW)).toBe(60_000);
    expect(retryAfterMs('soon', NOW)).toBeUndefined();
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
  });
});
