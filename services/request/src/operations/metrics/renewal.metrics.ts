import { counter, gauge } from '@certflow/runtime';

/** What a renewal came to, as `certflow_renewals_total{outcome}` counts it. */
export const RENEWAL_OUTCOMES = ['started', 'assigned', 'failed', 'chain_incomplete'] as const;
export type RenewalOutcome = (typeof RENEWAL_OUTCOMES)[number];

/**
 * `certflow_renewals_total{outcome}`: renewals submitted (`started`, by the renew route, the
 * renewal-due consumer or the retry job), and renewal requests that reached ASSIGNED, FAILED or
 * CHAIN_INCOMPLETE (the CA changed its intermediate: the old certificate stays bound meanwhile).
 */
export const renewalsTotal = counter({
  name: 'certflow_renewals_total',
  help: 'Renewals by outcome: started, assigned, failed, chain_incomplete',
  labelNames: ['outcome'] as const,
});

/** Counts a renewal request's transition, when it is one of the outcomes. */
export function observeRenewal(before: { state: string }, after: { state: string; renewalOf?: string }): void {
  if (!after.renewalOf || before.state === after.state) return;
  const outcome = after.state === 'ASSIGNED' ? 'assigned' : after.state === 'FAILED' ? 'failed' : after.state === 'CHAIN_INCOMPLETE' ? 'chain_incomplete' : null;
  if (outcome) renewalsTotal.inc({ outcome });
}

let oldestDue: (() => Promise<Date | null>) | undefined;
let clock: { now(): Date } = { now: () => new Date() };

/** Sets how the overdue gauge finds the oldest due renewal, and the clock it measures with (RenewalMetricsBinder). */
export function measureOverdueWith(find: () => Promise<Date | null>, c: { now(): Date }): void {
  oldestDue = find;
  clock = c;
}

/**
 * `certflow_renewal_oldest_overdue_seconds`: now − dueAt of the oldest ASSIGNED request whose
 * renewal window opened and whose renewal is not assigned yet (0 if none), read at scrape time with
 * the service's injected clock.
 */
export const renewalOldestOverdueSeconds = gauge({
  name: 'certflow_renewal_oldest_overdue_seconds',
  help: 'Seconds since the renewal of the oldest still-unrenewed ASSIGNED request fell due (0: none)',
  async collect() {
    if (!oldestDue) return;
    const due = await oldestDue().catch(() => undefined);
    if (due === undefined) return;
    this.set(due ? Math.max(0, (clock.now().getTime() - due.getTime()) / 1000) : 0);
  },
});
