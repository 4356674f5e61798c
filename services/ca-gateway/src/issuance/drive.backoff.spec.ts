import { nextDelayMs, shouldGiveUp } from './drive.backoff';

const policy = { baseMs: 1000, maxMs: 60_000, giveUpMs: 30 * 60_000 };
const top = () => 1;
const bottom = () => 0;

describe('nextDelayMs', () => {
  it('doubles with each failure in a row', () => {
    expect([0, 1, 2, 3].map((a) => nextDelayMs(a, policy, undefined, top))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('never waits longer than the cap, however many failures', () => {
    expect(nextDelayMs(50, policy, undefined, top)).toBe(60_000);
  });

  it('spreads retries between half and the full delay', () => {
    expect(nextDelayMs(3, policy, undefined, bottom)).toBe(4000);
  });

  it("waits at least as long as the CA's Retry-After, even beyond the cap", () => {
    expect(nextDelayMs(0, policy, 120_000, top)).toBe(120_000);
  });
});

describe('shouldGiveUp', () => {
  it('gives up once the request has been pending for the give-up time', () => {
    const since = new Date('2025-01-01T00:00:00Z');
    expect(shouldGiveUp(since, new Date('2025-01-01T00:29:59Z'), policy)).toBe(false);
    expect(shouldGiveUp(since, new Date('2025-01-01T00:30:00Z'), policy)).toBe(true);
  });
});
