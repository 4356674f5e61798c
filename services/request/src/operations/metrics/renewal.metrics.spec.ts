import { measureOverdueWith, observeRenewal, renewalOldestOverdueSeconds, renewalsTotal } from './renewal.metrics';

const count = async (outcome: string) => (await renewalsTotal.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

describe('renewal metrics', () => {
  it('counts a renewal request reaching ASSIGNED, FAILED or CHAIN_INCOMPLETE, and nothing for a first request', async () => {
    const before = { assigned: await count('assigned'), failed: await count('failed'), chain: await count('chain_incomplete') };
    observeRenewal({ state: 'ASSIGNABLE' }, { state: 'ASSIGNED', renewalOf: 'r1' });
    observeRenewal({ state: 'PENDING' }, { state: 'FAILED', renewalOf: 'r1' });
    observeRenewal({ state: 'ISSUED' }, { state: 'CHAIN_INCOMPLETE', renewalOf: 'r1' });
    observeRenewal({ state: 'ASSIGNABLE' }, { state: 'ASSIGNED' });
    observeRenewal({ state: 'ASSIGNED' }, { state: 'ASSIGNED', renewalOf: 'r1' });
    expect(await count('assigned')).toBe(before.assigned + 1);
    expect(await count('failed')).toBe(before.failed + 1);
    expect(await count('chain_incomplete')).toBe(before.chain + 1);
  });

  it('measures the oldest overdue renewal with the injected clock, 0 when none', async () => {
    const now = new Date('2030-01-02T00:00:00Z');
    let oldest: Date | null = new Date('2030-01-01T00:00:00Z');
    measureOverdueWith(async () => oldest, { now: () => now });
    expect((await renewalOldestOverdueSeconds.get()).values[0].value).toBe(86_400);
    oldest = null;
    expect((await renewalOldestOverdueSeconds.get()).values[0].value).toBe(0);
  });
});
