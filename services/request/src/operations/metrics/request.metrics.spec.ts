import { register } from 'prom-client';
import type { RequestState } from '@certflow/contracts';
import { countRequestsWith, observeTransition, requestStateSeconds } from './request.metrics';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

/** One sample of the exposition text, as Prometheus would scrape it. */
async function value(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await register.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('certflow_request_state_seconds', () => {
  beforeEach(() => requestStateSeconds.reset());

  it('observes the time since the last change under from and to', async () => {
    observeTransition({ state: 'SUBMITTED', updatedAt: at(0) }, { state: 'ISSUED', updatedAt: at(3) });
    observeTransition({ state: 'SUBMITTED', updatedAt: at(10) }, { state: 'ISSUED', updatedAt: at(11) });
    expect(await value('certflow_request_state_seconds_sum', { from: 'SUBMITTED', to: 'ISSUED' })).toBe(4);
    expect(await value('certflow_request_state_seconds_count', { from: 'SUBMITTED', to: 'ISSUED' })).toBe(2);
    expect(await value('certflow_request_state_seconds_bucket', { from: 'SUBMITTED', to: 'ISSUED', le: '1' })).toBe(1);
    expect(await value('certflow_request_state_seconds_bucket', { from: 'SUBMITTED', to: 'ISSUED', le: '5' })).toBe(2);
  });

  it('ignores a change that keeps the state', async () => {
    observeTransition({ state: 'CHAIN_INCOMPLETE', updatedAt: at(0) }, { state: 'CHAIN_INCOMPLETE', updatedAt: at(5) });
    expect(await value('certflow_request_state_seconds_count', { from: 'CHAIN_INCOMPLETE' })).toBeUndefined();
  });
});

describe('certflow_requests', () => {
  it('lists every state at scrape time, reading the counts at most every 5 s', async () => {
    let reads = 0;
    countRequestsWith(async () => {
      reads++;
      return { SUBMITTED: 2, ASSIGNED: 5 } as Record<RequestState, number>;
    });
    expect(await value('certflow_requests', { state: 'ASSIGNED' })).toBe(5);
    expect(await value('certflow_requests', { state: 'FAILED' })).toBe(0);
    expect(reads).toBe(1);
  });

  it('keeps the last counts when the database does not answer', async () => {
    countRequestsWith(async () => ({ PENDING: 7 }) as Record<RequestState, number>);
    expect(await value('certflow_requests', { state: 'PENDING' })).toBe(7);
    countRequestsWith(async () => {
      throw new Error('connection refused');
    });
    expect(await value('certflow_requests', { state: 'PENDING' })).toBe(7);
  });
});
