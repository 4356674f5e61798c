import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

// pg's own conversion of a parameter to its text form (dates, arrays, objects), so a value sent
// inline reads exactly as the same value sent as a parameter.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (v: unknown) => string | Buffer | null };

interface Pending {
  name: string;
  text: string;
  values: unknown[];
  resolve: (rows: unknown[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for one pool's hot single statements. Statements that callers start while one
 * group is with PostgreSQL wait and go together in the next: one round trip and one commit for up
 * to `maxBatch` of them, as `EXECUTE name(literals); EXECUTE …` on a connection where each is
 * already prepared (a multi-statement query is one implicit transaction, and keeps the plans). A
 * lone statement goes straight away, as an ordinary prepared statement: no added wait when idle.
 *
 * Why: on a loaded 2-core machine a round trip and a commit cost more than the statements, and
 * every event a service handles is one statement (inbox, state, outbox together).
 *
 * Each caller gets its own rows or its own error. If any statement of a group fails, PostgreSQL
 * rolls the whole group back; each is then run again on its own, so one caller's constraint
 * violation never becomes another's. One group at a time per pool: two groups of one process can
 * never deadlock each other.
 */
export class StatementGroup {
  private readonly queue: Pending[] = [];
  private running = false;
  /** Round trips made and statements sent inline with others: what the grouping saved. */
  readonly stats = { groups: 0, statements: 0, inlined: 0, rerunAlone: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly maxBatch: number,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error('maxBatch must be an integer ≥ 1');
  }

  run<T>(text: string, values: unknown[]): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      this.queue.push({ name: statementName(text), text, values, resolve: resolve as (rows: unknown[]) => void, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) await this.runGroup(this.queue.splice(0, this.maxBatch));
    } finally {
      this.running = false;
    }
  }

  private async runGroup(group: Pending[]): Promise<void> {
    this.stats.groups++;
    this.stats.statements += group.length;
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    let broken: Error | undefined;
    // As in the outbox relay: an 'error' on a checked-out client would otherwise be unhandled; and
    // a connection that had one is destroyed, not pooled.
    const onConnectionError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onConnectionError);
    try {
      const inline: Pending[] = [];
      for (const p of group) {
        // EXECUTE needs the statement prepared on this connection: the first of a kind prepares it.
        if (group.length === 1 || !isPrepared(client, p.name)) await runAlone(client, p);
        else inline.push(p);
      }
      if (inline.length === 1) await runAlone(client, inline[0]);
      else if (inline.length > 1) {
        const sql = inline.map((p) => (p.values.length ? `EXECUTE ${p.name}(${p.values.map(literal).join(', ')})` : `EXECUTE ${p.name}`)).join(';\n');
        let results: { rows: unknown[] }[] | undefined;
        try {
          const r = (await client.query(sql)) as unknown as { rows: unknown[] } | { rows: unknown[] }[];
          results = Array.isArray(r) ? r : [r];
          this.stats.inlined += inline.length;
        } catch {
          // All rolled back: each again on its own, with its own result or error.
          this.stats.rerunAlone += inline.length;
          for (const p of inline) await runAlone(client, p);
        }
        if (results) inline.forEach((p, i) => p.resolve(results![i].rows));
      }
    } catch (err) {
      broken = err as Error;
      for (const p of group) p.reject(err);
    } finally {
      client.removeListener('error', onConnectionError);
      client.release(broken);
    }
  }
}

/** Runs one statement as a named prepared statement and settles its caller; never throws. */
async function runAlone(client: PoolClient, p: Pending): Promise<void> {
  try {
    const result = await client.query({ name: p.name, text: p.text, values: p.values });
    p.resolve(result.rows);
  } catch (err) {
    p.reject(err);
  }
}

function isPrepared(client: PoolClient, name: string): boolean {
  const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection;
  return Boolean(connection?.parsedStatements?.[name]);
}

/** A parameter as an SQL literal, converted the way pg converts parameters; PostgreSQL casts it to the statement's parameter type. */
export function literal(value: unknown): string {
  const v = prepareValue(value);
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return quote(`\\x${v.toString('hex')}`);
  return quote(String(v));
}

/**
 * pg's `escapeLiteral` (quotes doubled; with a backslash, an E'' string with backslashes doubled, so
 * it reads the same whatever `standard_conforming_strings` is), with the engine's regular
 * expressions instead of a character loop: the values are JSON envelopes of kilobytes.
 */
function quote(text: string): string {
  const body = text.replace(QUOTES, "''");
  return text.includes('\\') ? ` E'${body.replace(BACKSLASHES, '\\\\')}'` : `'${body}'`;
}

const QUOTES = /'/g;
const BACKSLASHES = /\\/g;

export function statementName(text: string): string {
  return `cf_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}
