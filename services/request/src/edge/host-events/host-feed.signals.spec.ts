import { HostFeedSignals } from './host-feed.signals';

describe('HostFeedSignals', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('wakes every waiter of a request when it changes, and only those', async () => {
    const changes = new HostFeedSignals();
    const a1 = changes.wait('a', 1000);
    const a2 = changes.wait('a', 1000);
    const b = changes.wait('b', 1000);
    changes.changed('a');
    await expect(a1).resolves.toBe(true);
    await expect(a2).resolves.toBe(true);
    expect(changes.waiting).toBe(1);
    jest.advanceTimersByTime(1000);
    await expect(b).resolves.toBe(false);
    expect(changes.waiting).toBe(0);
  });

  it('gives up after the time given, and a later change finds nobody', async () => {
    const changes = new HostFeedSignals();
    const waited = changes.wait('a', 500);
    jest.advanceTimersByTime(499);
    expect(changes.waiting).toBe(1);
    jest.advanceTimersByTime(1);
    await expect(waited).resolves.toBe(false);
    changes.changed('a');
    expect(changes.waiting).toBe(0);
  });
});
