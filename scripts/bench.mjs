// `npm run bench`: N requests (ECDSA P-256 CSRs made up front) through the whole flow to
// certificate.assigned with C in flight, against a certflow started for the run (its own
// nats-server, a fresh database on the machine's PostgreSQL); then, in the same run, the raw
// durable single-row commit rate of that PostgreSQL at the same concurrency (pgbench), so the
// result reads as a ratio. A benchmark, not a test: it prints figures and never fails on them.
//   npm run bench -- --n 2000 --c 64
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { build, ensureDependencies, ensureNats, ensurePostgres, gitSha, say, ROOT } from './lib/infra.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.n ?? 2000);
const C = Number(args.c ?? 64);

ensureDependencies();
await ensurePostgres();
await ensureNats();
build();

const require = createRequire(import.meta.url);
const { startCertflow, testCsr } = require(join(ROOT, 'libs/testing/dist/index.js'));
const { connect } = await import(join(ROOT, 'node_modules/@nats-io/transport-node/lib/mod.js'));

say(`making ${N} ECDSA P-256 CSRs…`);
const t0 = performance.now();
const csrs = [];
for (let i = 0; i < N; i++) csrs.push({ host: `bench-${i}.fleet.example.com`, pem: (await testCsr({ host: `bench-${i}.fleet.example.com`, keyType: 'ec-p256' })).pem });
say(`CSRs made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

say('starting certflow (four services, own nats-server, fresh database)…');
const cf = await startCertflow({ env: { CERTFLOW_LOG_LEVEL: 'warn', CERTFLOW_DB_POOL: '20' } });
const nc = await connect({ servers: cf.natsUrl });
const started = new Map();
const finished = new Map();
let failed = 0;
const decoder = new TextDecoder();
let resolveAll;
const allDone = new Promise((r) => (resolveAll = r));
for (const subject of ['certflow.certificate.assigned.v1', 'certflow.request.failed.v1']) {
  nc.subscribe(subject, {
    callback: (_err, msg) => {
      const e = JSON.parse(decoder.decode(msg.data));
      const id = e.data.requestId;
      if (!started.has(id) || finished.has(id)) return;
      finished.set(id, performance.now());
      if (subject.endsWith('failed.v1')) failed++;
      if (finished.size === N) resolveAll();
    },
  });
}
await nc.flush();

say(`submitting ${N} requests, ${C} in flight…`);
let next = 0;
let httpErrors = 0;
const begin = performance.now();
await Promise.all(
  Array.from({ length: C }, async () => {
    while (next < N) {
      const { host, pem } = csrs[next++];
      const at = performance.now();
      const res = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: pem } });
      if (res.status !== 201) {
        httpErrors++;
        continue;
      }
      started.set(res.body.id, at);
      if (finished.size === N) resolveAll();
    }
  }),
);
const submitted = performance.now();
const timeout = new Promise((r) => setTimeout(r, 600_000));
await Promise.race([allDone, timeout]);
const end = performance.now();
await nc.close();
await cf.stop();

const latencies = [...finished].map(([id, t]) => t - started.get(id)).sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
const e2e = { n: N, concurrency: C, completed: finished.size, failed, httpErrors, seconds: (end - begin) / 1000 };
e2e.certificatesPerSecond = finished.size / e2e.seconds;
e2e.submitPerSecond = N / ((submitted - begin) / 1000);
e2e.latencyMs = { p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) };

say(`pgbench: single-row durable inserts, ${C} clients, 10 s…`);
const pgbench = runPgbench(C);

const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, commit: gitSha(), loadavg: os.loadavg() };
const result = { at: new Date().toISOString(), machine, e2e, pgbench, ratio: pgbench.tps ? e2e.certificatesPerSecond / pgbench.tps : null };
mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
const file = join(ROOT, 'artifacts', `bench-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2));

const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(`
certflow bench  (commit ${machine.commit}, ${machine.cpus} × ${machine.cpu}, ${machine.memGiB} GiB, node ${machine.node})
  requests            ${N} (${C} in flight), completed ${e2e.completed}, failed ${failed}, HTTP errors ${httpErrors}
  end to end          ${f(e2e.certificatesPerSecond, 1)} certificates/s  (submit rate ${f(e2e.submitPerSecond, 1)} req/s)
  latency submit→assigned  p50 ${f(e2e.latencyMs.p50)} ms   p95 ${f(e2e.latencyMs.p95)} ms   p99 ${f(e2e.latencyMs.p99)} ms   max ${f(e2e.latencyMs.max)} ms
  pgbench (same PostgreSQL, ${C} clients, single-row inserts)  ${f(pgbench.tps)} commits/s
  ratio               ${result.ratio === null ? 'n/a' : (result.ratio * 100).toFixed(2) + ' % of the raw commit rate'}
  written to          ${file}
`);
process.exit(0);

function runPgbench(clients) {
  const db = `certflow_pgbench_${process.pid}`;
  const psql = (sql, d = 'postgres') => spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', d, '-qAtc', sql], { encoding: 'utf8' });
  if (spawnSync('sh', ['-c', 'command -v pgbench'], { stdio: 'ignore' }).status !== 0) return { tps: null, note: 'pgbench not installed (Debian: postgresql-contrib / postgresql-client)' };
  psql(`CREATE DATABASE ${db}`);
  psql('CREATE TABLE t (id bigserial PRIMARY KEY, v text NOT NULL)', db);
  const dir = mkdtempSync(join(os.tmpdir(), 'pgbench-'));
  writeFileSync(join(dir, 'insert.sql'), "INSERT INTO t (v) VALUES ('x');\n");
  const r = spawnSync('pgbench', ['-h', '127.0.0.1', '-U', 'postgres', '-n', '-c', String(clients), '-j', String(Math.min(clients, os.cpus().length)), '-T', '10', '-f', join(dir, 'insert.sql'), db], { encoding: 'utf8' });
  psql(`DROP DATABASE ${db} WITH (FORCE)`);
  const m = /tps = ([\d.]+)/.exec(r.stdout ?? '');
  return { tps: m ? Number(m[1]) : null, clients, seconds: 10, ...(m ? {} : { note: (r.stderr || r.stdout || '').slice(0, 300) }) };
}
