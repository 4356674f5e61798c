/**
 * What a hostile-input run must leave unchanged, read from the outside: rows in every service schema
 * of the run's database, messages in every JetStream stream, and the services' processes (alive,
 * resident memory).
 */
import { readFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import { SERVICES, type Certflow, type ServiceName } from '../harness';

const SCHEMAS = ['request', 'ca_gateway', 'trust_validation', 'assignment'];

export interface StoreCounts {
  /** "schema.table" → rows. */
  rows: Record<string, number>;
  /** stream → messages. */
  streams: Record<string, number>;
}

export async function storeCounts(cf: Certflow): Promise<StoreCounts> {
  const pg = new Client({ connectionString: cf.databaseUrl });
  await pg.connect();
  const rows: Record<string, number> = {};
  try {
    const tables = await pg.query<{ s: string; t: string }>(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
      [SCHEMAS],
    );
    for (const { s, t } of tables.rows) {
      const r = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${s}"."${t}"`);
      rows[`${s}.${t}`] = r.rows[0].n;
    }
  } finally {
    await pg.end();
  }
  const nc = await cf.connectNats();
  const streams: Record<string, number> = {};
  try {
    const jsm = await jetstreamManager(nc);
    for await (const s of jsm.streams.list()) streams[s.config.name] = s.state.messages;
  } finally {
    await nc.close();
  }
  return { rows, streams };
}

/** The entries that differ between two counts, as "name: before → after". */
export function countChanges(before: StoreCounts, after: StoreCounts): string[] {
  const diff = (a: Record<string, number>, b: Record<string, number>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k] ?? 'absent'} → ${b[k] ?? 'absent'}`);
  return [...diff(before.rows, after.rows), ...diff(before.streams, after.streams)];
}

/** Resident set size of a service's process, in bytes (Linux /proc). */
/**
 * The store counts once two readings `everyMs` apart agree: events already in flight (a relay, a
 * consumer) must land before a count can say that nothing was added. Throws after `tries` readings.
 */
export async function settledStoreCounts(cf: Certflow, { tries, everyMs }: { tries: number; everyMs: number }): Promise<StoreCounts> {
  let last = await storeCounts(cf);
  for (let i = 0; i < tries; i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    const now = await storeCounts(cf);
    if (countChanges(last, now).length === 0) return now;
    last = now;
  }
  throw new Error('the stores did not settle');
}

export function rssBytes(cf: Certflow, service: ServiceName): number {
  const pid = cf.pid(service);
  if (!pid) throw new Error(`${service} has no process`);
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`no VmRSS for ${service} (pid ${pid})`);
  return Number(kb) * 1024;
}

/** Services whose process is gone. */
export function deadServices(cf: Certflow): ServiceName[] {
  return SERVICES.filter((s) => {
    const pid = cf.pid(s);
    if (!pid) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}
