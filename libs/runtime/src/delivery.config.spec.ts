import { BaseConfigSchema, ConfigError, loadConfig } from './config';
import { deliveryPolicyOf, retrySpanMs } from './delivery.config';

/** The problems loadConfig reports for `env`, or [] when it is accepted. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(BaseConfigSchema, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('delivery settings (CERTFLOW_MAX_DELIVER, CERTFLOW_RETRY_BACKOFF_MS)', () => {
  describe('when neither is set', () => {
    it('are the transport defaults: 10 deliveries, 50 ms … 10 s backoff', () => {
      expect(deliveryPolicyOf({})).toEqual({ maxDeliver: 10, backoffMs: [50, 200, 1000, 3000, 10000] });
      expect(loadConfig(BaseConfigSchema, {})).toMatchObject({ CERTFLOW_MAX_DELIVER: 10, CERTFLOW_RETRY_BACKOFF_MS: [50, 200, 1000, 3000, 10000] });
    });

    it('retry a failing message for about a minute, longer than the 30 s ackWait', () => {
      expect(retrySpanMs(deliveryPolicyOf({}))).toBe(50 + 200 + 1000 + 3000 + 5 * 10000);
    });
  });

  describe('when both are set', () => {
    it('reads a whole number of deliveries and comma-separated milliseconds, spaces allowed', () => {
      expect(deliveryPolicyOf({ CERTFLOW_MAX_DELIVER: '4', CERTFLOW_RETRY_BACKOFF_MS: '100, 250,500' })).toEqual({ maxDeliver: 4, backoffMs: [100, 250, 500] });
    });

    it('counts the span of retries with the last delay repeated (3 retries for 4 deliveries)', () => {
      expect(retrySpanMs({ maxDeliver: 4, backoffMs: [100] })).toBe(300);
      expect(retrySpanMs({ maxDeliver: 2, backoffMs: [100, 5000] })).toBe(100);
    });
  });

  describe('when a value is wrong', () => {
    const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
      ['one delivery leaves no retry for a "not yet" fact', { CERTFLOW_MAX_DELIVER: '1' }, /^CERTFLOW_MAX_DELIVER: must be at least 2/],
      ['a fraction of a delivery is refused', { CERTFLOW_MAX_DELIVER: '2.5' }, /^CERTFLOW_MAX_DELIVER: must be a whole number/],
      ['text for the deliveries is refused', { CERTFLOW_MAX_DELIVER: 'ten' }, /^CERTFLOW_MAX_DELIVER: must be a whole number/],
      ['more than 1000 deliveries is refused', { CERTFLOW_MAX_DELIVER: '1001' }, /^CERTFLOW_MAX_DELIVER: must be a whole number of deliveries from 2 to 1000/],
      ['a zero delay is refused', { CERTFLOW_RETRY_BACKOFF_MS: '50,0,100' }, /^CERTFLOW_RETRY_BACKOFF_MS: must be comma-separated whole milliseconds.*"0" is not one/],
      ['a negative delay is refused', { CERTFLOW_RETRY_BACKOFF_MS: '-5' }, /"-5" is not one/],
      ['units are refused', { CERTFLOW_RETRY_BACKOFF_MS: '50ms,200ms' }, /"50ms" is not one/],
      ['an empty entry is refused', { CERTFLOW_RETRY_BACKOFF_MS: '50,,200' }, /an entry is empty/],
      ['an empty value is refused', { CERTFLOW_RETRY_BACKOFF_MS: '' }, /an entry is empty/],
      ['a delay over an hour is refused', { CERTFLOW_RETRY_BACKOFF_MS: '3600001' }, /each 1 to 3600000/],
      ['more than 100 delays are refused', { CERTFLOW_RETRY_BACKOFF_MS: Array(101).fill('5').join(',') }, /it has 101 entries; at most 100/],
    ];

    it.each(cases)('%s, naming the variable and what is valid', (_sentence, env, message) => {
      const problems = problemsOf(env);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(message);
    });

    it('shows a valid backoff to copy', () => {
      expect(problemsOf({ CERTFLOW_RETRY_BACKOFF_MS: '1s' })[0]).toContain('e.g. 50,200,1000,3000,10000');
    });

    it('also stops a caller that skipped the config schema', () => {
      expect(() => deliveryPolicyOf({ CERTFLOW_MAX_DELIVER: '1' })).toThrow(/CERTFLOW_MAX_DELIVER: must be at least 2/);
    });
  });
});
