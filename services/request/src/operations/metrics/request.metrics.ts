import { gauge, histogram, STATE_BUCKETS } from '@certflow/runtime';
import { REQUEST_STATES, type RequestState } from '@certflow/contracts';
import { observeRenewal } from './renewal.metrics';

/**
 * `certflow_request_state_seconds{from,to}`: how long a request stayed in `from` before moving to
 * `to`, observed on each transition. Measured from the request's last recorded change, which is
 * when it entered `from` (an Assign asked for while it waits is the one change that is not a state).
 */
export const requestStateSeconds = histogram({
  name: 'certflow_request_state_seconds',
  help: 'Time a certificate request spent in a state before its next one',
  labelNames: ['from', 'to'] as const,
  buckets: STATE_BUCKETS,
});

/** Records one transition; a change that keeps the state is not one. */
export function observeTransition(before: { state: RequestState; updatedAt: Date }, after: { state: RequestState; updatedAt: Date; renewalOf?: string }): void {
  if (before.state === after.state) return;
  observeRenewal(before, after);
  const seconds = Math.max(0, (after.updatedAt.getTime() - before.updatedAt.getTime()) / 1000);
  requestStateSeconds.observe({ from: before.state, to: after.state }, seconds);
}

/** A scrape reads the database at most this often; scrapes in between see the last counts. */
const COUNTS_MAX_AGE_MS = 5_000;

let countByState: (() => Promise<Record<RequestState, number>>) | undefined;
let last: { at: number; counts: Record<RequestState, number> } | undefined;

/** Sets how `certflow_requests` counts (RequestMetricsBinder does, with the request service's counts query). */
export function countRequestsWith(count: () => Promise<Record<RequestState, number>>): void {
  countByState = count;
  last = undefined;
}

/**
 * `certflow_requests{state}`: requests in each state now, every state listed (zero included),
 * counted when scraped — one GROUP BY, cached 5 s; a failed count keeps the last values.
 */
export const requestsByState = gauge({
  name: 'certflow_requests',
  help: 'Certificate requests in each state (counted at scrape time)',
  labelNames: ['state'] as const,
  async collect() {
    if (!countByState) return;
    if (!last || Date.now() - last.at >= COUNTS_MAX_AGE_MS) {
      const counts = await countByState().catch(() => undefined);
      if (counts) last = { at: Date.now(), counts };
    }
    if (!last) return;
    for (const state of REQUEST_STATES) this.set({ state }, last.counts[state] ?? 0);
  },
});
