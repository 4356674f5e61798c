/**
 * The shape both restart scenarios share: N requests submitted; halfway, a dependency is restarted
 * under them; then every request must settle ASSIGNED, with the same service processes (none crashed
 * and was restarted behind the test's back), nothing lost and nothing done twice.
 */
import { SERVICES, type Certflow } from '@certflow/testing';
import { consumerBacklog, exactlyOnceProblems } from './faults.checks';
import { planRequests, settledOf, stateCounts, submitAll, waitSettled, waitUntil } from './faults.helpers';

export async function restartMidFlight(cf: Certflow, o: { n: number; tag: string; restart: () => Promise<void> }): Promise<{ inFlight: number; seconds: number }> {
  const pids = SERVICES.map((s) => cf.pid(s));
  const planned = await planRequests(o.n, o.tag);
  const started = Date.now();
  const deadline = started + 180_000;
  const progress = { submitted: 0 };
  const submitting = submitAll(cf, planned, { concurrency: 32, deadline, progress });
  await waitUntil(() => progress.submitted >= o.n / 2, deadline);
  const before = settledOf(await stateCounts(cf));
  await o.restart();
  const inFlight = progress.submitted - before;

  const { ids } = await submitting;
  expect(new Set(ids).size).toBe(o.n);
  const counts = await waitSettled(cf, o.n, { deadline, stallMs: 60_000, explain: () => consumerBacklog(cf) });
  expect(counts).toEqual({ ASSIGNED: o.n });
  expect(SERVICES.map((s) => cf.pid(s))).toEqual(pids);
  expect(await exactlyOnceProblems(cf, ids, planned.map((p) => p.host))).toEqual([]);
  return { inFlight, seconds: (Date.now() - started) / 1000 };
}
