import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs one statement outside any transaction as a named prepared statement: PostgreSQL parses and
 * plans it once per connection instead of on every call. For the few hot statements a service runs
 * for every request (its data-modifying CTEs take longer to plan than to run). The name is a hash of
 * the text, so each distinct text gets its own statement. Returns the rows.
 */
export async function preparedQuery<T = Record<string, unknown>>(ds: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const pool = (ds.driver as unknown as { master: Pool }).master;
  const result = await pool.query({ name: statementName(text), text, values });
  return result.rows as T[];
}

/**
 * A statement through `m`, prepared as `preparedQuery` does: on a connection of the pool when `m` is
 * not in a transaction, else on the transaction's own connection (TypeORM's PostgreSQL query runner
 * keeps its pg client as `databaseConnection`).
 */
export async function runStatement<T = Record<string, unknown>>(m: EntityManager, text: string, values: unknown[]): Promise<T[]> {
  if (!m.queryRunner?.isTransactionActive) return preparedQuery<T>(m.connection, text, values);
  const client = (m.queryRunner as unknown as { databaseConnection?: PoolClient }).databaseConnection;
  if (!client) return (await m.query(text, values)) as T[];
  const result = await client.query({ name: statementName(text), text, values });
  return result.rows as T[];
}

function statementName(text: string): string {
  return `cf_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}
