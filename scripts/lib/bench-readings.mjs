// What \`npm run bench\` reads off the running system: the processes of the run and their CPU, the
// PostgreSQL backends serving it, and the counters the services and the nats-server expose.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds (user + system) of a process, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * CPU milliseconds of a process with those of its children that have ended and been waited for
 * (cutime + cstime): for PostgreSQL's postmaster, the backends of connections already closed.
 */
export function processAndEndedChildrenCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

/** The parent of a process (for a PostgreSQL backend, the postmaster). */
export function parentPid(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * Messages each connection sent to the nats-server and received from it during the run, per
 * certificate, by service (connection names are `certflow/<service>/…`; others are the bench's own).
 */
export function natsMessagesPerCertificate(before, after, certificates) {
  const was = new Map(before.map((c) => [c.cid, c]));
  const out = {};
  for (const c of after) {
    const service = /^certflow\/([^/]+)/.exec(c.name ?? '')?.[1] ?? 'bench';
    const o = (out[service] ??= { in: 0, out: 0 });
    o.in += c.in_msgs - (was.get(c.cid)?.in_msgs ?? 0);
    o.out += c.out_msgs - (was.get(c.cid)?.out_msgs ?? 0);
  }
  for (const o of Object.values(out)) {
    o.in = Number((o.in / Math.max(1, certificates)).toFixed(1));
    o.out = Number((o.out / Math.max(1, certificates)).toFixed(1));
  }
  return out;
}

/** The services and the nats-server this run started: children of this process, by command line. */
export function childProcesses() {
  const found = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const service = cmd.map((a) => /services\/([^/]+)\/dist\/main\.js$/.exec(a)?.[1]).find(Boolean);
      const name = service ?? (cmd[0].endsWith('nats-server') ? 'nats-server' : null);
      if (name) found[name] = pid;
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

/** User + system CPU milliseconds of each process still running. */
export function cpuTimes(pids) {
  const out = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      out[name] = processCpuMs(pid);
    } catch {
      // gone
    }
  }
  return out;
}

/** PostgreSQL's server processes serving the run's database (the services' pooled connections). */
export function postgresBackends(databaseUrl) {
  const db = new URL(databaseUrl).pathname.slice(1);
  const r = spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qAtc', `SELECT pid FROM pg_stat_activity WHERE datname = '${db}'`], { encoding: 'utf8' });
  return Object.fromEntries((r.stdout ?? '').split('\n').filter(Boolean).map((pid) => [`postgres#${pid}`, pid]));
}

/** JetStream redeliveries per consumer (a "not yet" or a failure), from every service's /metrics. */
export async function redeliveriesByConsumer(certflow) {
  const out = {};
  if (typeof certflow.metricsUrl !== 'function') return out; // a harness from before metrics (comparing old commits)
  for (const name of ['request', 'ca-gateway', 'trust-validation', 'assignment']) {
    const text = await fetch(certflow.metricsUrl(name)).then((r) => r.text(), () => '');
    for (const m of text.matchAll(/^certflow_jetstream_redeliveries_total\{[^}]*consumer="([^"]+)"[^}]*\} (\d+)/gm)) {
      if (Number(m[2]) > 0) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
    }
  }
  return out;
}

/** Statements sent through group commit and the round trips they took, per service, from /metrics. */
/** Facts per batch transaction, per service (all its consumers): how much the load lets batching share. */
export async function factBatchSizes(certflow) {
  const out = {};
  if (typeof certflow.metricsUrl !== 'function') return out;
  const total = (text, name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  for (const name of ['request', 'ca-gateway', 'trust-validation', 'assignment']) {
    const text = await fetch(certflow.metricsUrl(name)).then((r) => r.text(), () => '');
    const b = { facts: total(text, 'certflow_fact_batch_size_sum'), batches: total(text, 'certflow_fact_batch_size_count') };
    if (b.batches > 0) out[name] = b;
  }
  return out;
}

export async function statementGroupSizes(certflow) {
  const out = {};
  if (typeof certflow.metricsUrl !== 'function') return out;
  const read = (text, name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  for (const name of ['request', 'ca-gateway', 'trust-validation', 'assignment']) {
    const text = await fetch(certflow.metricsUrl(name)).then((r) => r.text(), () => '');
    const g = { statements: read(text, 'certflow_db_grouped_statements_total'), groups: read(text, 'certflow_db_groups_total') };
    if (g.groups > 0) out[name] = g;
  }
  return out;
}
