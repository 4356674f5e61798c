import { backoffFor, consumerName, deadLetterId, decideAfterFailure, isBeyondLastAttempt, serverMaxDeliver } from './delivery.policy';
import { RetryLaterError } from './retry-later.error';

const policy = { maxDeliver: 4, backoffMs: [50, 200, 1000] };

describe('decideAfterFailure', () => {
  it.each([
    ['the first delivery fails', 1, new Error('db down'), { action: 'retry', delayMs: 50, expected: false, error: 'db down' }],
    ['the second delivery fails', 2, new Error('db down'), { action: 'retry', delayMs: 200, expected: false, error: 'db down' }],
    ['the third delivery fails, past the end of the backoff list', 3, new Error('x'), { action: 'retry', delayMs: 1000, expected: false, error: 'x' }],
    ['the handler says not yet', 1, new RetryLaterError('chain not validated', 750), { action: 'retry', delayMs: 750, expected: true, error: 'chain not validated' }],
    [
      'the handler says not yet through Nest (as a signal object)',
      2,
      { status: 'retry-later', message: 'later', delayMs: 30 },
      { action: 'retry', delayMs: 200, expected: true, error: 'later' },
    ],
    ['the handler says not yet again, later on', 3, new RetryLaterError('still waiting', 100), { action: 'retry', delayMs: 1000, expected: true, error: 'still waiting' }],
  ])('retries when %s (not yet waits at least the backoff, so its attempts outlast ackWait)', (_label, delivery, error, expected) => {
    expect(decideAfterFailure(policy, delivery, error)).toEqual(expected);
  });

  it('dead-letters when the last allowed delivery fails', () => {
    expect(decideAfterFailure(policy, 4, new Error('bad data'))).toEqual({
      action: 'dead-letter',
      error: 'failed after 4 deliveries: bad data',
    });
  });

  it('dead-letters a message that is still "not yet" on its last delivery', () => {
    expect(decideAfterFailure(policy, 4, new RetryLaterError('waiting'))).toMatchObject({ action: 'dead-letter' });
  });
});

describe('backoffFor', () => {
  it('uses the first delay for delivery 1 and repeats the last one', () => {
    expect([1, 2, 3, 4, 9].map((n) => backoffFor(policy, n))).toEqual([50, 200, 1000, 1000, 1000]);
  });
  it('retries at once when no backoff is configured', () => {
    expect(backoffFor({ maxDeliver: 3, backoffMs: [] }, 2)).toBe(0);
  });
});

describe('the reserved extra delivery', () => {
  it('gives the server one delivery more than the handler gets', () => {
    expect(serverMaxDeliver(policy)).toBe(5);
    expect(isBeyondLastAttempt(policy, 4)).toBe(false);
    expect(isBeyondLastAttempt(policy, 5)).toBe(true);
  });
});

describe('deadLetterId', () => {
  it('is a UUID, the same for the same message and consumer, different otherwise', () => {
    const id = deadLetterId('request--certflow_a_v1', 42);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deadLetterId('request--certflow_a_v1', 42)).toBe(id);
    expect(deadLetterId('request--certflow_a_v1', 43)).not.toBe(id);
    expect(deadLetterId('assignment--certflow_a_v1', 42)).not.toBe(id);
  });
});

describe('consumerName', () => {
  it('joins the service and the subject with dots turned into underscores', () => {
    expect(consumerName('request', 'certflow.chain.complete.v1')).toBe('request--certflow_chain_complete_v1');
  });
  it('refuses a wildcard subject', () => {
    expect(() => consumerName('request', 'certflow.>')).toThrow();
  });
});
