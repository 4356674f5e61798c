import { NOT_YET_DELAY_MS, notYetDelayMs } from './request-fact.decider';

describe('notYetDelayMs', () => {
  it('asks again soon the first time, then waits longer each time, up to a minute', () => {
    const delays = [1, 2, 3, 4, 5, 6, 10].map(notYetDelayMs);
    expect(delays).toEqual([NOT_YET_DELAY_MS, 3_000, 9_000, 27_000, 60_000, 60_000, 60_000]);
  });
});
