import { notYetDelay } from './on-assignment-requested.consumer';

describe('waiting for chain.complete', () => {
  it('waits the base delay after the first delivery, then twice as long each time, up to 30 s', () => {
    expect([1, 2, 3, 4].map((n) => notYetDelay(500, n))).toEqual([500, 1000, 2000, 4000]);
    expect(notYetDelay(500, 10)).toBe(30_000);
    expect(notYetDelay(500, 1000)).toBe(30_000);
  });
});
