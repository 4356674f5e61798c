import { Client } from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ensureDatabase, ensureSchema } from './database.provisioner';
import { assertSchemaName, type PersistenceLogger, type ServiceDatabaseOptions } from './service-database.options';
import { setStatementGroupSize } from './prepared.query';

/** Name of the table, in each service's schema, that records which migrations ran. */
export const MIGRATIONS_TABLE = 'migrations';

/**
 * First key of the advisory lock taken while migrating ('cflw'); the second is `hashtext(schema)`,
 * so services migrate their own schemas in parallel but two instances of one service never do.
 */
export const MIGRATION_LOCK_NAMESPACE = 0x63666c77;

/** How long a starting instance waits for another instance's migrations before giving up. */
const MIGRATION_LOCK_TIMEOUT = '300s';

/**
 * Opens the service's DataSource, ready to use: the database and the service's schema exist, every
 * connection has `search_path=<schema>`, and every pending migration has run.
 *
 * Why `search_path` and the `schema` option both: TypeORM qualifies entity tables with `schema`,
 * while raw SQL (migrations, `query()`) resolves unqualified names through `search_path`; with both
 * set, everything a service writes lands in its own schema. `synchronize` is always off: the
 * database changes only through reviewed migrations. Migrations run under a PostgreSQL advisory
 * lock, so instances started together apply them once, one after the other.
 */
export async function openServiceDataSource(opts: ServiceDatabaseOptions): Promise<DataSource> {
  assertSchemaName(opts.schema);
  const logger = opts.logger ?? pino({ name: opts.schema, level: process.env.CERTFLOW_LOG_LEVEL ?? 'info' });
  await ensureDatabase(opts.url);

  const lockClient = new Client({ connectionString: opts.url });
  await lockClient.connect();
  let dataSource: DataSource | undefined;
  try {
    await ensureSchema(lockClient, opts.schema);
    dataSource = new DataSource({
      type: 'postgres',
      url: opts.url,
      schema: opts.schema,
      entities: opts.entities,
      migrations: opts.migrations,
      migrationsTableName: MIGRATIONS_TABLE,
      migrationsRun: false,
      synchronize: false,
      dropSchema: false,
      poolSize: opts.poolSize ?? 10,
      logging: false,
      extra: { options: `-c search_path=${opts.schema}`, application_name: `certflow/${opts.schema}` },
    });
    await dataSource.initialize();
    if (opts.statementGroup !== undefined) setStatementGroupSize(dataSource, opts.statementGroup);
    await migrateUnderLock(lockClient, dataSource, opts.schema, logger);
    return dataSource;
  } catch (err) {
    // The caller reports the error; leave no pool behind to keep the process alive.
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw err;
  } finally {
    await lockClient.end().catch(() => undefined);
  }
}

/**
 * Runs pending migrations while holding the schema's advisory lock on a connection of its own
 * (outside the pool, so a pool of one connection cannot deadlock). The lock is per session: it is
 * released explicitly, and by PostgreSQL if the process dies.
 */
async function migrateUnderLock(
  lockClient: Client,
  dataSource: DataSource,
  schema: string,
  logger: PersistenceLogger,
): Promise<void> {
  await lockClient.query(`SET lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
  await lockClient.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]);
  try {
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    if (applied.length > 0) {
      logger.info({ schema, migrations: applied.map((m) => m.name) }, `applied ${applied.length} migration(s)`);
    }
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]);
  }
}
