import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { statementName } from '@certflow/persistence';
import type { FactTx } from './fact.handler';

/**
 * Runs `work` in one transaction on one pooled connection, with the transaction as a FactTx
 * (prepared statements, and a TypeORM manager). Commits what `work` returned; rolls back if it threw.
 */
export async function inFactTx<R>(ds: DataSource, work: (tx: FactTx) => Promise<R>): Promise<R> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  const client = (qr as unknown as { databaseConnection: PoolClient }).databaseConnection;
  const query = async <T>(text: string, values: unknown[]): Promise<T[]> => (await client.query({ name: statementName(text), text, values })).rows as T[];
  try {
    await qr.startTransaction();
    const result = await work({ query, manager: qr.manager });
    await qr.commitTransaction();
    return result;
  } catch (err) {
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await qr.release();
  }
}
