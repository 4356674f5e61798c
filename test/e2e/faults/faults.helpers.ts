/**
 * What every fault scenario shares: many requests made up front, submitted with retries (safe: each
 * carries an Idempotency-Key), progress read from the database (the API may be the thing that is
 * down), and the end-state checks — nothing lost, nothing done twice.
 */
import { Client } from 'pg';
import { testCsr, type Certflow } from '@certflow/testing';

export interface Planned {
  host: string;
  csr: string;
}

/** `n` ECDSA P-256 CSRs for distinct hosts, made before anything is timed. */
export async function planRequests(n: number, tag: string): Promise<Planned[]> {
  const out: Planned[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, (_, k) => {
        const host = `h${i + k}-${tag}.faults.example.test`;
        return testCsr({ host }).then((c) => ({ host, csr: c.pem }));
      }),
    );
    out.push(...batch);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Submits every planned request, `concurrency` at a time, spread over the request instances. A
 * refused connection or a 5xx (an instance, NATS or PostgreSQL is down) is retried with the same
 * Idempotency-Key until `deadline`, so a retry can never make a second request.
 */
export async function submitAll(cf: Certflow, planned: Planned[], o: { concurrency: number; deadline: number; progress?: { submitted: number } }): Promise<{ ids: string[]; byInstance: number[] }> {
  const ids = new Array<string>(planned.length);
  const byInstance = cf.baseUrls.map(() => 0);
  let next = 0;
  const instances = cf.baseUrls.length;
  const one = async (i: number) => {
    const { host, csr } = planned[i];
    let last = '';
    for (let attempt = 0; Date.now() < o.deadline; attempt++) {
      try {
        const instance = (i + attempt) % instances;
        const res = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr }, headers: { 'idempotency-key': `faults-${host}` }, instance });
        if (res.status === 201 || res.status === 200) {
          ids[i] = res.body.id;
          byInstance[instance]++;
          if (o.progress) o.progress.submitted++;
          return;
        }
        last = `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        if (res.status < 500) throw new Error(`submitting ${host} was refused: ${last}`);
      } catch (e) {
        if ((e as Error).message.startsWith('submitting')) throw e;
        last = (e as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`could not submit ${host} before the deadline; last answer: ${last}`);
  };
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < planned.length) await one(next++);
    }),
  );
  return { ids, byInstance };
}

/** Runs `fn` with a short-lived connection to the run's database. */
export async function withDb<T>(cf: Certflow, fn: (pg: Client) => Promise<T>): Promise<T> {
  const pg = new Client({ connectionString: cf.databaseUrl });
  await pg.connect();
  try {
    return await fn(pg);
  } finally {
    await pg.end().catch(() => undefined);
  }
}

export const FINAL_STATES = ['ASSIGNED', 'FAILED', 'CHAIN_INCOMPLETE'];

/** Requests per state, straight from the request service's table; an empty map while PostgreSQL is down. */
export async function stateCounts(cf: Certflow): Promise<Record<string, number>> {
  try {
    return await withDb(cf, async (pg) => {
      const r = await pg.query(`SELECT state, count(*)::int AS n FROM request.certificate_request GROUP BY state`);
      return Object.fromEntries(r.rows.map((x: { state: string; n: number }) => [x.state, x.n]));
    });
  } catch {
    return {};
  }
}

export const settledOf = (counts: Record<string, number>) => FINAL_STATES.reduce((s, k) => s + (counts[k] ?? 0), 0);

/**
 * Waits until `n` requests are in a final state. Fails when nothing moves for `stallMs` (a lost
 * message shows up here) or at `deadline`, with the counts and the services' warnings.
 */
export async function waitSettled(cf: Certflow, n: number, o: { deadline: number; stallMs: number; explain?: () => Promise<string> }): Promise<Record<string, number>> {
  let counts: Record<string, number> = {};
  let best = -1;
  let movedAt = Date.now();
  while (Date.now() < o.deadline) {
    counts = await stateCounts(cf);
    const settled = settledOf(counts);
    if (settled >= n) return counts;
    if (settled > best) {
      best = settled;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > o.stallMs) break;
    await sleep(500);
  }
  const why = o.explain ? await o.explain() : '';
  throw new Error(`only ${best} of ${n} requests reached a final state; counts ${JSON.stringify(counts)}\n${why}\n${cf.dumpLogs(1500)}`);
}

/** Polls `check` until it holds (or `deadline`); returns whether it did. */
export async function waitUntil(check: () => boolean, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(50);
  }
  return false;
}

/** State changes recorded so far (rows of request history): moves on every step of every request. */
export async function transitions(cf: Certflow): Promise<number> {
  try {
    return await withDb(cf, async (pg) => (await pg.query(`SELECT count(*)::int AS n FROM request.request_history`)).rows[0].n);
  } catch {
    return -1;
  }
}

/** Waits until at least `target` request state changes are recorded (or `deadline`). */
export async function waitTransitions(cf: Certflow, target: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if ((await transitions(cf)) >= target) return true;
    await sleep(300);
  }
  return false;
}

/** Waits until at least `target` requests are final (or `deadline`); returns whether it got there. */
export async function waitProgress(cf: Certflow, target: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (settledOf(await stateCounts(cf)) >= target) return true;
    await sleep(300);
  }
  return false;
}
