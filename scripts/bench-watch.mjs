// `npm run bench:watch`: what the expiry watch costs. A fresh database with the assignment
// migrations and 10,000 bound watch rows (a realistic spread of notAfter: 90-day and 1-year
// certificates issued at random times, 1% already expired); the first rounds decide them all (each
// row is due at its bind instant); then the cost of a round at rest (nothing due), the one every
// instance pays every CERTFLOW_WATCH_INTERVAL_MS, and of rounds with N rows due. CPU is this node
// process's (user + system) and PostgreSQL's backends' for the bench database. A benchmark, not a
// test: it prints figures and never fails on them.
//   npm run bench:watch -- --rows 10000 --idle-rounds 300
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { cpuTimes, postgresBackends } from './lib/bench-readings.mjs';
import { build, ensureDependencies, ensurePostgres, gitSha, say, ROOT } from './lib/infra.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const ROWS = Number(args.rows ?? 10_000);
const IDLE_ROUNDS = Number(args['idle-rounds'] ?? 300);
const DUE_SIZES = [10, 100, 500];
const DEFAULT_INTERVAL_MS = 30_000;
const LIMIT = 500;
const DAY = 86_400_000;

ensureDependencies();
await ensurePostgres();
build();

const require = createRequire(import.meta.url);
const { openServiceDataSource, dropDatabase } = require(join(ROOT, 'libs/persistence/dist/index.js'));
const { JobScheduler, MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } = require(join(ROOT, 'libs/messaging/dist/index.js'));
const { ASSIGNMENT_ENTITIES, ASSIGNMENT_MIGRATIONS } = require(join(ROOT, 'services/assignment/dist/app.module.js'));
const { ExpiryWatchJob } = require(join(ROOT, 'services/assignment/dist/assignment/watch/expiry-watch.job.js'));

const url = `postgres://postgres@127.0.0.1:5432/certflow_bench_watch_${Date.now().toString(36)}`;
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
say(`fresh database ${new URL(url).pathname.slice(1)}, assignment migrations…`);
const ds = await openServiceDataSource({
  url,
  schema: 'assignment',
  entities: [...MESSAGING_ENTITIES, ...ASSIGNMENT_ENTITIES],
  migrations: [...MESSAGING_MIGRATIONS, ...ASSIGNMENT_MIGRATIONS],
  poolSize: 1, // rounds run one after another; one backend, whose CPU is read from /proc
  logger: { info() {}, warn: console.warn, error: console.error },
});

// The round's clock: the bench moves it, so "due" is exact and nothing depends on the wall clock.
let nowMs = Date.parse('2030-06-01T00:00:00Z');
const clock = { now: () => new Date(nowMs) };
// Events go to the outbox in the round's transaction (counted); publishing them to NATS is the relay's, not measured here.
const scheduler = new JobScheduler(ds, { publishCommitted() {} }, quiet, clock);
const job = new ExpiryWatchJob([30, 14, 7, 1]);

say(`inserting ${ROWS} bound watch rows…`);
await ds.query(`SELECT setseed(0.18)`);
await ds.query(
  `INSERT INTO certificate_watch (request_id, thumbprint, host, usages, issuer, rotation_policy, not_before, not_after, renew_at, next_due_at, created_at)
   SELECT 'bench-' || i, upper(substr(md5(i::text) || md5(i::text), 1, 40)), 'host-' || i || '.fleet.example.com', '["Default"]'::jsonb, 'internal',
          CASE WHEN i % 4 = 0 THEN 'Never' ELSE 'Always' END,
          nb, na, na - (na - nb) / 3, $1::timestamptz, $1::timestamptz
     FROM (SELECT i, life, $1::timestamptz - (life * (CASE WHEN i % 100 = 0 THEN 1.0 + random() * 0.05 ELSE random() END)) AS nb
             FROM (SELECT i, CASE WHEN i % 10 < 7 THEN interval '90 days' ELSE interval '365 days' END AS life FROM generate_series(1, $2::int) AS i) s) t,
          LATERAL (SELECT nb + life AS na) a`,
  [new Date(nowMs), ROWS],
);
await ds.query(`ANALYZE certificate_watch`);

const backends = postgresBackends(url);
const cpu = () => {
  const node = process.cpuUsage();
  const pg = Object.values(cpuTimes(backends)).reduce((s, v) => s + v, 0);
  return { node: (node.user + node.system) / 1000, pg };
};
async function measure(fn) {
  const c0 = cpu();
  const t0 = performance.now();
  const r = await fn();
  const wall = performance.now() - t0;
  const c1 = cpu();
  return { r, wall, node: c1.node - c0.node, pg: c1.pg - c0.pg };
}
const outboxRows = async () => Number((await ds.query(`SELECT count(*)::int AS n FROM outbox`))[0].n);
const fmt = (n, d = 2) => n.toFixed(d);

// 1. Catch-up: every row is due at its bind instant; rounds of LIMIT until one takes fewer.
const catchUp = await measure(async () => {
  let rounds = 0;
  let taken = 0;
  for (;;) {
    const w = await scheduler.runOnce(job, LIMIT);
    rounds++;
    taken += w.taken;
    if (w.taken < LIMIT) return { rounds, taken };
  }
});
const eventsAtBind = await outboxRows();

// 2. At rest: nothing due (the clock moves 1 s per round, as a real one would, but no row falls due).
for (let i = 0; i < 20; i++) await scheduler.runOnce(job, LIMIT); // warm-up
const idle = await measure(async () => {
  let taken = 0;
  for (let i = 0; i < IDLE_ROUNDS; i++) {
    nowMs += 1000;
    taken += (await scheduler.runOnce(job, LIMIT)).taken;
  }
  return { taken };
});

// 3. N rows due: the clock jumps to the N-th next instant, so the N soonest rows are really due
// (a threshold, a renewal window or notAfter reached) and the round sends their events.
const dueRounds = [];
for (const n of DUE_SIZES) {
  const samples = [];
  for (let k = 0; k < 5; k++) {
    const [{ at }] = await ds.query(`SELECT next_due_at AS at FROM certificate_watch WHERE released_at IS NULL AND next_due_at IS NOT NULL ORDER BY next_due_at OFFSET $1 LIMIT 1`, [n - 1]);
    nowMs = Math.max(nowMs, new Date(at).getTime());
    const before = await outboxRows();
    const m = await measure(() => scheduler.runOnce(job, LIMIT));
    samples.push({ ...m, events: (await outboxRows()) - before });
  }
  const avg = (f) => samples.reduce((s, x) => s + f(x), 0) / samples.length;
  dueRounds.push({ n, taken: avg((s) => s.r.taken), wall: avg((s) => s.wall), node: avg((s) => s.node), pg: avg((s) => s.pg), events: avg((s) => s.events) });
}

const perIdle = { wall: idle.wall / IDLE_ROUNDS, node: idle.node / IDLE_ROUNDS, pg: idle.pg / IDLE_ROUNDS };
const lines = [
  `expiry watch bench (${gitSha()}), ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${ROWS} bound rows, limit ${LIMIT}`,
  `catch-up at bind: ${catchUp.r.taken} rows in ${catchUp.r.rounds} rounds, ${fmt(catchUp.wall, 0)} ms wall, node CPU ${fmt(catchUp.node, 0)} ms, PostgreSQL CPU ${fmt(catchUp.pg, 0)} ms, ${eventsAtBind} events to the outbox`,
  `at rest (nothing due, ${IDLE_ROUNDS} rounds, ${idle.r.taken} taken): per round ${fmt(perIdle.wall)} ms wall, node CPU ${fmt(perIdle.node)} ms, PostgreSQL CPU ${fmt(perIdle.pg)} ms`,
  `  at the default interval (${DEFAULT_INTERVAL_MS / 1000} s): node ${fmt((perIdle.node / DEFAULT_INTERVAL_MS) * 100, 4)} % of one core, PostgreSQL ${fmt((perIdle.pg / DEFAULT_INTERVAL_MS) * 100, 4)} % of one core`,
  ...dueRounds.map(
    (d) =>
      `${String(d.n).padStart(4)} rows due: per round ${fmt(d.wall, 1)} ms wall, node CPU ${fmt(d.node, 1)} ms, PostgreSQL CPU ${fmt(d.pg, 1)} ms (${fmt(d.node / d.n, 3)} ms node per row), ${fmt(d.events, 0)} events`,
  ),
];
for (const l of lines) console.log(l);

await ds.destroy();
await dropDatabase(url).catch(() => undefined);
