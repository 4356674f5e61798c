import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { StatementGroup, statementName } from './statement.group';

/** Statements one group commit carries at most, unless `setStatementGroupSize` says otherwise. */
export const DEFAULT_STATEMENT_GROUP = 64;

const groupSizes = new WeakMap<DataSource, number>();
const groups = new WeakMap<Pool, StatementGroup>();

/** How many statements `preparedQuery` may send together on this data source; 1 sends each alone. */
export function setStatementGroupSize(ds: DataSource, size: number): void {
  groupSizes.set(ds, size);
}

/** What `preparedQuery`'s grouping did on this data source so far (for tests and metrics). */
export function statementGroupStats(ds: DataSource): StatementGroup['stats'] | undefined {
  return groups.get((ds.driver as unknown as { master: Pool }).master)?.stats;
}

/**
 * Runs one statement outside any transaction as a named prepared statement: PostgreSQL parses and
 * plans it once per connection instead of on every call. For the few hot statements a service runs
 * for every request (its data-modifying CTEs take longer to plan than to run). The name is a hash of
 * the text, so each distinct text gets its own statement. Statements started while others are with
 * PostgreSQL go together, in one round trip and one commit (see `StatementGroup`): callers must not
 * rely on one statement's failure rolling back or sparing any other. Returns the rows.
 */
export async function preparedQuery<T = Record<string, unknown>>(ds: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const pool = (ds.driver as unknown as { master: Pool }).master;
  const size = groupSizes.get(ds) ?? DEFAULT_STATEMENT_GROUP;
  if (size === 1) {
    // No grouping: each statement on any free connection, several at once.
    const result = await pool.query({ name: statementName(text), text, values });
    return result.rows as T[];
  }
  let group = groups.get(pool);
  if (!group) {
    group = new StatementGroup(pool, size);
    groups.set(pool, group);
  }
  return group.run<T>(text, values);
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
