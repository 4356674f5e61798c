import { renewalBackoffMs } from './renewal-backoff';

const bounds = { minMs: 300_000, maxMs: 21_600_000 };

describe('renewalBackoffMs', () => {
  it('doubles from the minimum per failure, with the factor 1 in the middle of the jitter', () => {
    expect([1, 2, 3, 4].map((n) => renewalBackoffMs(n, bounds, () => 0.5))).toEqual([300_000, 600_000, 1_200_000, 2_400_000]);
  });
  it('stops growing at the maximum', () => {
    expect(renewalBackoffMs(20, bounds, () => 0.5)).toBe(21_600_000);
    expect(renewalBackoffMs(1_000, bounds, () => 0.5)).toBe(21_600_000);
  });
  it('spreads the wait over [0.5, 1.5] × the base, at the bounds of the random number', () => {
    expect(renewalBackoffMs(1, bounds, () => 0)).toBe(150_000);
    expect(renewalBackoffMs(1, bounds, () => 0.999999)).toBeLessThanOrEqual(450_000);
    expect(renewalBackoffMs(1, bounds, () => 0.999999)).toBeGreaterThan(449_000);
    expect(renewalBackoffMs(20, bounds, () => 0)).toBe(10_800_000);
  });
  it('stays inside the bounds for any random number', () => {
    for (let i = 0; i < 1000; i++) {
      const attempts = 1 + (i % 12);
      const base = Math.min(300_000 * 2 ** (attempts - 1), 21_600_000);
      const ms = renewalBackoffMs(attempts, bounds);
      expect(ms).toBeGreaterThanOrEqual(base * 0.5);
      expect(ms).toBeLessThanOrEqual(base * 1.5);
    }
  });
  it('treats a first attempt (0 failures) as the minimum', () => {
    expect(renewalBackoffMs(0, bounds, () => 0.5)).toBe(300_000);
  });
});
