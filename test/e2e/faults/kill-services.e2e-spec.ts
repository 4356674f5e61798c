/**
 * Issue #8, faults: 1,000 requests in flight, two instances of every service, and each instance
 * killed with SIGKILL in turn (then started again). Afterwards every request is ASSIGNED, none is
 * lost or done twice, and both instances of every service took part of the work.
 */
import { SERVICES, startCertflow, type Certflow } from '@certflow/testing';
import { consumerBacklog, deliveredBytesBySlot, exactlyOnceProblems } from './faults.checks';
import { planRequests, settledOf, stateCounts, submitAll, transitions, waitSettled, waitTransitions, waitUntil } from './faults.helpers';

const N = Number(process.env.CERTFLOW_FAULTS_N ?? 1000);
jest.setTimeout(300_000);

describe('kill -9 of each service instance while 1,000 requests are in flight', () => {
  let cf: Certflow;
  beforeAll(async () => {
    // Eight processes with a pool each: a private cluster, so the machine's PostgreSQL keeps its connections for others.
    cf = await startCertflow({ instances: { request: 2, 'ca-gateway': 2, 'trust-validation': 2, assignment: 2 }, privatePostgres: true });
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('takes every request to ASSIGNED exactly once, with both instances of each service working', async () => {
    const started = Date.now();
    const planned = await planRequests(N, 'kill');
    const deadline = Date.now() + 240_000;
    // The requests go in one chunk per kill, so every kill lands while requests are in flight,
    // however fast the services are: a chunk is half submitted when its victim dies.
    const victims = SERVICES.flatMap((s) => [0, 1].map((i) => ({ s, i })));
    const chunk = Math.ceil(N / victims.length);
    const progress = { submitted: 0 };
    const submissions: ReturnType<typeof submitAll>[] = [];
    const kills: string[] = [];
    for (const [k, { s, i }] of victims.entries()) {
      const part = planned.slice(k * chunk, (k + 1) * chunk);
      const base = progress.submitted;
      submissions.push(submitAll(cf, part, { concurrency: 16, deadline, progress }));
      await waitUntil(() => progress.submitted >= base + part.length / 2, deadline);
      const before = await stateCounts(cf);
      const steps = await transitions(cf);
      await cf.kill(s, i, 'SIGKILL');
      // The surviving instance carries on alone: wait until requests move on before the restart.
      const moved = await waitTransitions(cf, steps + 10, Math.min(deadline, Date.now() + 60_000));
      cf.startService(s, { instance: i });
      await cf.waitReady(s, i);
      kills.push(`${s}#${i} with ${progress.submitted - settledOf(before)} in flight${moved ? '' : ' (no progress while it was down)'}`);
      if (!moved) throw new Error(`no request changed state in 60 s while ${s}#${i} was down: ${kills.join('; ')}; counts ${JSON.stringify(await stateCounts(cf))}\n${await consumerBacklog(cf)}\n${cf.dumpLogs(4000)}`);
    }
    const results = await Promise.all(submissions);
    const ids = results.flatMap((r) => r.ids);
    const byInstance = [0, 1].map((i) => results.reduce((sum, r) => sum + r.byInstance[i], 0));
    expect(new Set(ids).size).toBe(N);

    const counts = await waitSettled(cf, N, { deadline, stallMs: 60_000, explain: () => consumerBacklog(cf) });
    const seconds = (Date.now() - started) / 1000;
    expect(counts).toEqual({ ASSIGNED: N });
    expect(await exactlyOnceProblems(cf, ids, planned.map((p) => p.host))).toEqual([]);

    // Both instance slots of every service received event traffic (a few hundred bytes of heartbeats aside).
    const bytes = await deliveredBytesBySlot(cf, SERVICES);
    for (const [slot, b] of Object.entries(bytes)) expect([slot, b > 20_000]).toEqual([slot, true]);
    // Both request instances answered submissions (the client spreads them).
    expect(byInstance.every((n) => n > N / 10)).toBe(true);
    process.stdout.write(`faults/kill: ${N} requests in ${seconds.toFixed(1)} s; kills: ${kills.join('; ')}; delivered bytes ${JSON.stringify(bytes)}; submissions per request instance ${byInstance}\n`);
  });
});
