import { Client } from 'pg';
import { PgErrorCode, pgErrorCode } from './pg-error.codes';

/** The database a PostgreSQL URL names, e.g. `certflow` for `postgres://postgres@127.0.0.1:5432/certflow`. */
export function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`the PostgreSQL URL names no database: ${redactUrl(url)}`);
  return name;
}

/** The same URL (host, user, options) pointed at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/** The URL with any password masked, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Double-quotes a PostgreSQL identifier. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/**
 * Creates the database named in `url` if it does not exist yet, so a fresh machine runs with no
 * manual step. It connects to the `postgres` maintenance database (or `template1` when that is
 * missing). Several services start at once, so losing the race to another creator is success.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  const admin = await connectMaintenance(url);
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      // 42P04 when the other creator committed first; 23505 when both inserted into pg_database at once.
      const code = pgErrorCode(err);
      if (code !== PgErrorCode.DuplicateDatabase && code !== PgErrorCode.UniqueViolation) throw err;
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Drops the database named in `url` if it exists, closing its connections first (tests clean up
 * with it). The per-service roles made for it go at the next service start (`sweepOrphanRoles`).
 */
export async function dropDatabase(url: string): Promise<void> {
  const admin = await connectMaintenance(url);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseNameOf(url))} WITH (FORCE)`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function connectMaintenance(url: string): Promise<Client> {
  let lastError: unknown;
  for (const db of ['postgres', 'template1']) {
    const client = new Client({ connectionString: withDatabase(url, db) });
    try {
      await client.connect();
      return client;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
      if (pgErrorCode(err) !== PgErrorCode.InvalidCatalogName) break;
    }
  }
  throw lastError;
}

/** Something that runs SQL: a `pg` client, a TypeORM DataSource or query runner. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * `CREATE SCHEMA IF NOT EXISTS`, tolerating the race in which two sessions both find it missing
 * (PostgreSQL then reports 23505 or 42P06 to the loser).
 */
export async function ensureSchema(runner: SqlRunner, schema: string): Promise<void> {
  try {
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (err) {
    const code = pgErrorCode(err);
    if (code !== PgErrorCode.DuplicateSchema && code !== PgErrorCode.UniqueViolation) throw err;
  }
}
