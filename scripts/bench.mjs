// `npm run bench`: N requests (ECDSA P-256 CSRs made up front) through the whole flow to
// certificate.assigned with C in flight, against a certflow started for the run (its own
// nats-server, a fresh database on the machine's PostgreSQL); then, in the same run, the raw
// durable single-row commit rate of that PostgreSQL at the same concurrency (pgbench), so the
// result reads as a ratio. A benchmark, not a test: it prints figures and never fails on them.
//   npm run bench -- --n 2000 --c 64            (closed loop: C requests in flight)
//   npm run bench -- --n 2000 --c 256 --rate 500 (open loop: 500 requests/s)
//   --warmup 500 (default): requests run first and not measured; 0 measures cold processes
//   --floor 0: skip measuring the floor (the contract's least work per certificate on this machine)
//   --peer cfssl: after certflow, the same CSRs through CFSSL (Debian's golang-cfssl, certdb in
//     PostgreSQL) with the same load, printed beside certflow's figures (scripts/lib/peer-cfssl.mjs)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { certificateFloor, cryptoFloor, jetstreamFloor, meanMessageSize, postgresFloor } from './lib/bench-floor.mjs';
import { jsonPoster } from './lib/bench-poster.mjs';
import { childProcesses, cpuTimes, factBatchSizes, natsMessagesPerCertificate, postgresBackends, redeliveriesByConsumer, statementGroupSizes } from './lib/bench-readings.mjs';
import { build, ensureDependencies, ensurePostgres, fail, gitSha, say, ROOT } from './lib/infra.mjs';
import { ensureNatsServerBinary } from './lib/own-nats.mjs';
import { cfsslPeerLines, runCfsslPeer } from './lib/peer-cfssl-load.mjs';
import { ensureCfsslBinary } from './lib/peer-cfssl.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.n ?? 2000);
const C = Number(args.c ?? 64);
// --rate R: open loop, request i is due at i/R s and its latency counts from then, so a system that
// falls behind shows it in the percentiles instead of slowing the load down (coordinated omission).
const RATE = args.rate === undefined ? null : Number(args.rate);
// --warmup W: W requests first (closed loop, not measured), so the figures are of services whose
// JIT has settled, as in a running deployment, not of processes started a second ago.
const WARMUP = Number(args.warmup ?? 500);
const FLOOR = args.floor !== '0';
const PEERS = { cfssl: ensureCfsslBinary };
const PEER = args.peer ?? null;
if (PEER !== null && !(PEER in PEERS)) fail(`unknown --peer ${PEER}`, `use one of: ${Object.keys(PEERS).join(', ')}`);

ensureDependencies();
await ensurePostgres();
ensureNatsServerBinary();
if (PEER) PEERS[PEER]();
build();

const require = createRequire(import.meta.url);
const { startCertflow, testCsr } = require(join(ROOT, 'libs/testing/dist/index.js'));
const { natsClientAuthOptions } = require(join(ROOT, 'libs/messaging/dist/index.js'));
const { connect } = await import(join(ROOT, 'node_modules/@nats-io/transport-node/lib/mod.js'));

say(`making ${WARMUP + N} ECDSA P-256 CSRs…`);
const t0 = performance.now();
const csrs = [];
for (let i = 0; i < WARMUP + N; i++) csrs.push({ host: `bench-${i}.fleet.example.com`, pem: (await testCsr({ host: `bench-${i}.fleet.example.com`, keyType: 'ec-p256' })).pem });
const warmupCsrs = csrs.splice(0, WARMUP);
say(`CSRs made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

say('starting certflow (four services, own nats-server, fresh database)…');
const cf = await startCertflow({ env: { CERTFLOW_LOG_LEVEL: 'warn', CERTFLOW_DB_POOL: '20' } });
const submit = requestSubmitter(cf, C);
// The bench's own hands on the bus: the harness's unrestricted test identity (the services have their own).
const natsOptions = natsClientAuthOptions(cf.nats.auth());
const nc = await connect({ servers: cf.natsUrl, ...natsOptions });
const started = new Map();
const finished = new Map();
let failed = 0;
const decoder = new TextDecoder();
let resolveAll;
const allDone = new Promise((r) => (resolveAll = r));
const warming = new Set();
let warmSubmitted = false;
let warmedUp;
const warm = new Promise((r) => (warmedUp = r));
for (const subject of ['certflow.certificate.assigned.v1', 'certflow.request.failed.v1']) {
  nc.subscribe(subject, {
    callback: (_err, msg) => {
      const e = JSON.parse(decoder.decode(msg.data));
      const id = e.data.requestId;
      if (warming.delete(id) && warming.size === 0 && warmSubmitted) warmedUp();
      if (!started.has(id) || finished.has(id)) return;
      finished.set(id, performance.now());
      if (subject.endsWith('failed.v1')) failed++;
      if (finished.size === N) resolveAll();
    },
  });
}
await nc.flush();

if (WARMUP > 0) {
  say(`warming up: ${WARMUP} requests, ${C} in flight, not measured…`);
  let w = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (w < warmupCsrs.length) {
        const { host, pem } = warmupCsrs[w++];
        const res = await submit(host, pem);
        if (res.status === 201) warming.add(res.body.id);
      }
    }),
  );
  warmSubmitted = true;
  if (warming.size > 0) await Promise.race([warm, new Promise((r) => setTimeout(r, 300_000))]);
}

// CPU time of each process certflow runs (the services and its nats-server, all children of this
// one): read per request it does not depend on what else the machine is doing, unlike throughput.
const children = { ...childProcesses(), ...postgresBackends(cf.databaseUrl) };
const cpuBefore = cpuTimes(children);
// A harness from before `nats.connections()` (comparing old commits) gives no message counts.
const natsConnections = () => (typeof cf.nats?.connections === 'function' ? cf.nats.connections() : Promise.resolve([]));
const natsBefore = await natsConnections();
const benchCpuBefore = process.cpuUsage();

say(RATE ? `submitting ${N} requests at ${RATE}/s (open loop, at most ${C} calls in flight)…` : `submitting ${N} requests, ${C} in flight…`);
let next = 0;
let httpErrors = 0;
const begin = performance.now();
await Promise.all(
  Array.from({ length: C }, async () => {
    while (next < N) {
      const i = next++;
      const { host, pem } = csrs[i];
      const due = RATE ? begin + (i * 1000) / RATE : 0;
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      const at = RATE ? due : performance.now();
      const res = await submit(host, pem);
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
// Pools open connections as load grows: backends that appeared during the run count from zero.
const cpuAfter = cpuTimes({ ...children, ...postgresBackends(cf.databaseUrl) });
const benchCpu = process.cpuUsage(benchCpuBefore);
const redeliveries = await redeliveriesByConsumer(cf);
const groupSizes = await statementGroupSizes(cf);
const batchSizes = await factBatchSizes(cf);
const natsMessages = natsMessagesPerCertificate(natsBefore, await natsConnections(), finished.size);
await nc.close();
let floor = null;
// The floor reads the CPU of the run's own nats-server; without one (an old harness), it is skipped.
if (FLOOR && children['nats-server']) {
  // On the run's own nats-server and database, after the run, so the two never share the cores.
  say('floor: JetStream, PostgreSQL and P-256 alone, with no certflow code…');
  // Messages and rows as large as the run's own events (stored size, headers included).
  const size = (await meanMessageSize({ natsUrl: cf.natsUrl, natsOptions })) ?? 2_500;
  const js = await jetstreamFloor({ natsUrl: cf.natsUrl, natsOptions, natsPid: children['nats-server'], size });
  const pg = await postgresFloor({ databaseUrl: cf.databaseUrl, size });
  const crypto = await cryptoFloor();
  floor = { jetstream: js, postgresql: pg, crypto, ...certificateFloor({ js, pg, crypto, cores: os.cpus().length }) };
}
await cf.stop();

const latencies = [...finished].map(([id, t]) => t - started.get(id)).sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
const e2e = { n: N, warmup: WARMUP, concurrency: C, rate: RATE, completed: finished.size, failed, httpErrors, seconds: (end - begin) / 1000 };
e2e.certificatesPerSecond = finished.size / e2e.seconds;
e2e.submitPerSecond = N / ((submitted - begin) / 1000);
e2e.latencyMs = { p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) };
const perRequest = (ms, name) => (ms - (cpuBefore[name] ?? 0)) / Math.max(1, finished.size);
e2e.cpuMsPerRequest = {};
for (const [name, ms] of Object.entries(cpuAfter)) {
  const key = name.startsWith('postgres#') ? 'postgresql' : name;
  e2e.cpuMsPerRequest[key] = Number(((e2e.cpuMsPerRequest[key] ?? 0) + perRequest(ms, name)).toFixed(2));
}
e2e.redeliveries = redeliveries;
e2e.statementGroups = groupSizes;
e2e.factBatches = batchSizes;
e2e.natsMessagesPerRequest = natsMessages;
e2e.cpuMsPerRequest.total = Number(Object.values(e2e.cpuMsPerRequest).reduce((a, b) => a + b, 0).toFixed(2));
// The load generator shares the machine's cores with certflow: what it takes is not certflow's, but it is not free either.
e2e.loadGeneratorCpuMsPerRequest = Number(((benchCpu.user + benchCpu.system) / 1000 / Math.max(1, finished.size)).toFixed(2));

// After certflow has stopped, so the two never share the cores.
// A peer that cannot start is reported, not fatal: certflow's figures above are still worth printing.
const peer = PEER === 'cfssl' ? await runCfsslPeer({ warmup: warmupCsrs, csrs, concurrency: C, rate: RATE }).catch((e) => ({ peer: 'cfssl', error: e.message })) : null;

say(`pgbench: single-row durable inserts, up to ${C} clients, 10 s…`);
const pgbench = runPgbench(C);

const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, commit: gitSha(), loadavg: os.loadavg() };
const result = { at: new Date().toISOString(), machine, e2e, floor, pgbench, ratio: pgbench.tps ? e2e.certificatesPerSecond / pgbench.tps : null, ...(peer ? { peer } : {}) };
mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
const file = join(ROOT, 'artifacts', `bench-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2));

const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(`
certflow bench  (commit ${machine.commit}, ${machine.cpus} × ${machine.cpu}, ${machine.memGiB} GiB, node ${machine.node})
  requests            ${N} (${RATE ? `${RATE}/s open loop, ` : ''}${C} in flight, after ${WARMUP} to warm up), completed ${e2e.completed}, failed ${failed}, HTTP errors ${httpErrors}
  end to end          ${f(e2e.certificatesPerSecond, 1)} certificates/s  (submit rate ${f(e2e.submitPerSecond, 1)} req/s)
  latency submit→assigned  p50 ${f(e2e.latencyMs.p50)} ms   p95 ${f(e2e.latencyMs.p95)} ms   p99 ${f(e2e.latencyMs.p99)} ms   max ${f(e2e.latencyMs.max)} ms
  CPU per request     ${Object.entries(e2e.cpuMsPerRequest).map(([k, v]) => `${k} ${v} ms`).join(', ')}
  load generator      ${e2e.loadGeneratorCpuMsPerRequest} ms CPU per request (this process, on the same cores; not in the total)
  NATS messages       ${Object.entries(e2e.natsMessagesPerRequest).map(([k, v]) => `${k} ${v.in} in / ${v.out} out`).join(', ')} per certificate (client → server / server → client; acks, pulls and replies included)
  redeliveries        ${Object.entries(e2e.redeliveries).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}
  fact batches        ${Object.entries(e2e.factBatches).map(([k, b]) => `${k} ${f(b.facts / b.batches, 2)} facts per transaction`).join(', ') || 'n/a'} (warm-up included)
  group commit        ${Object.entries(e2e.statementGroups).map(([k, g]) => `${k} ${g.statements} statements in ${g.groups} round trips (${f(g.statements / g.groups, 1)} each)`).join(', ') || 'n/a'}
${floor ? floorLines(floor, e2e.cpuMsPerRequest.total) : ''}  pgbench (same PostgreSQL, ${pgbench.clients ?? C} clients, single-row inserts)  ${f(pgbench.tps)} commits/s
  ratio               ${result.ratio === null ? 'n/a' : (result.ratio * 100).toFixed(2) + ' % of the raw commit rate'}
${peer ? cfsslPeerLines(peer, e2e, machine.commit) : ''}  written to          ${file}
`);
process.exit(0);

/** The floor and its parts, as printed; see scripts/lib/bench-floor.mjs. */
function floorLines(fl, certflowMs) {
  const us = (x) => `${x.toFixed(0)} µs`;
  const ms = (x) => `${x.toFixed(2)} ms`;
  const { minimum: m, parts: p, jetstream: js, postgresql: pg, crypto: c } = fl;
  return `  floor               ${ms(fl.totalMs)} CPU per certificate, so at most ${fl.certificatesPerSecond.toFixed(0)} certificates/s on ${os.cpus().length} cores: the contract's least work, no certflow code
                        nats-server ${ms(p.natsServerMs)} and its clients ${ms(p.natsClientsMs)}: ${m.publishes} publishes of ${js.size} B delivered and acked (${us(js.publishDelivered.serverUs)} + ${us(js.publishDelivered.clientUs)} each), ${m.deliveries - m.publishes} further deliveries (${us(js.furtherDelivery.serverUs)} + ${us(js.furtherDelivery.clientUs)})
                        PostgreSQL ${ms(p.postgresqlMs)}: ${m.statements} single-row inserts of ${pg.size} B in groups of ${pg.group} (${us(pg.statementUs)} each); P-256 ${ms(p.cryptoMs)}: ${m.signatures} signature (${us(c.signUs)}), ${m.verifications} verifications (${us(c.verifyUs)})
  certflow / floor    ${(certflowMs / fl.totalMs).toFixed(1)} × (${ms(certflowMs)} against ${ms(fl.totalMs)})
`;
}

/** POST /api/v1/requests with certflow's token, at most `concurrency` calls in flight. */
function requestSubmitter(certflow, concurrency) {
  const { post } = jsonPoster(new URL('/api/v1/requests', certflow.baseUrl), { concurrency, headers: { authorization: `Bearer ${certflow.token}` } });
  return (host, csr) => post({ host, csr });
}

function runPgbench(wanted) {
  const db = `certflow_pgbench_${process.pid}`;
  const psql = (sql, d = 'postgres') => spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', d, '-qAtc', sql], { encoding: 'utf8' });
  // More clients than the server takes would make pgbench fail outright: keep 10 connections spare.
  const maxConnections = Number(psql('SHOW max_connections').stdout?.trim()) || 100;
  const clients = Math.max(1, Math.min(wanted, maxConnections - 10));
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

