import { Client } from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { databaseNameOf, ensureDatabase, ensureSchema, quoteIdent, redactUrl } from './database.provisioner';
import { PgErrorCode, pgErrorCode } from './pg-error.codes';
import { grantServiceRuntime, prepareServiceRoles, roleCapability, withLogin, type ServiceLogin } from './service-roles';
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
 *
 * When the configured user may create roles, the service gets its own two (see `prepareServiceRoles`):
 * migrations run as the schema's owner and the returned pool logs in as the runtime role, which can
 * reach nothing outside its schema. Otherwise the configured user does everything, as before, and
 * that is logged once.
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
    const login = await underMigrationLock(lockClient, opts.schema, () => provisionAndMigrate(lockClient, opts, logger));
    // Extensions are the provisioning user's business (the migration connection installs them).
    dataSource = newDataSource(opts, login ? withLogin(opts.url, login) : opts.url, { poolSize: opts.poolSize ?? 10, installExtensions: false });
    await dataSource.initialize().catch((err: unknown) => {
      throw login ? runtimeLoginError(err, login, opts.url) : err;
    });
    if (opts.statementGroup !== undefined) setStatementGroupSize(dataSource, opts.statementGroup);
    return dataSource;
  } catch (err) {
    // The caller reports the error; leave no pool behind to keep the process alive.
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw err;
  } finally {
    await lockClient.end().catch(() => undefined);
  }
}

function newDataSource(
  opts: ServiceDatabaseOptions,
  url: string,
  o: { poolSize: number; installExtensions: boolean; purpose?: string; idleTimeoutMillis?: number },
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    schema: opts.schema,
    entities: opts.entities,
    migrations: opts.migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    dropSchema: false,
    logging: false,
    poolSize: o.poolSize,
    installExtensions: o.installExtensions,
    extra: {
      options: `-c search_path=${opts.schema}`,
      application_name: `certflow/${opts.schema}${o.purpose ?? ''}`,
      ...(o.idleTimeoutMillis === undefined ? {} : { idleTimeoutMillis: o.idleTimeoutMillis }),
    },
  });
}

/** Per-service roles if the user may make them, the migrations, then the runtime grants. */
async function provisionAndMigrate(lockClient: Client, opts: ServiceDatabaseOptions, logger: PersistenceLogger): Promise<ServiceLogin | undefined> {
  const capability = opts.serviceRoles === false ? { ok: false as const, reason: 'turned off by the caller' } : await roleCapability(lockClient);
  if (!capability.ok) {
    logSharedRolesOnce(logger, opts.schema, capability.reason);
    await migrate(opts, logger);
    return undefined;
  }
  const roles = await prepareServiceRoles(lockClient, databaseNameOf(opts.url), opts.schema, capability.superuser);
  await migrate(opts, logger, roles.owner);
  return grantServiceRuntime(lockClient, opts.schema, roles, opts.appendOnly ?? []);
}

/**
 * Runs pending migrations on a connection of its own, as the schema's owner when there is one, so
 * what they create belongs to the owner and falls under its default privileges. The connection
 * logs in as the provisioning user: TypeORM installs the extensions the entities need first.
 */
async function migrate(opts: ServiceDatabaseOptions, logger: PersistenceLogger, owner?: string): Promise<void> {
  // One connection that never idles out, so the SET ROLE below holds for every migration.
  const ds = newDataSource(opts, opts.url, { poolSize: 1, installExtensions: true, purpose: '/migrate', idleTimeoutMillis: 0 });
  await ds.initialize();
  try {
    if (owner) await ds.query(`SET ROLE ${quoteIdent(owner)}`);
    const applied = await ds.runMigrations({ transaction: 'all' });
    if (applied.length > 0) {
      logger.info({ schema: opts.schema, migrations: applied.map((m) => m.name) }, `applied ${applied.length} migration(s)`);
    }
  } finally {
    await ds.destroy().catch(() => undefined);
  }
}

/**
 * A runtime role PostgreSQL does not let in (e.g. pg_hba.conf allows only `peer` on the socket):
 * said in terms of what to change, not as the driver's bare authentication error.
 */
function runtimeLoginError(err: unknown, login: ServiceLogin, url: string): Error {
  const code = pgErrorCode(err);
  if (code !== PgErrorCode.InvalidAuthorization && code !== PgErrorCode.InvalidPassword) return err as Error;
  return new Error(
    `the service's runtime database role ${login.roles.app} could not log in to ${redactUrl(url)} (${(err as Error).message}): ` +
      'let it log in with its password (pg_hba.conf: scram-sha-256 or md5 for this host), or configure a DATABASE_URL user without CREATEROLE to keep one user for everything',
  );
}

const sharedRolesLogged = new Set<string>();

function logSharedRolesOnce(logger: PersistenceLogger, schema: string, reason: string): void {
  if (sharedRolesLogged.has(schema)) return;
  sharedRolesLogged.add(schema);
  logger.warn(
    { schema, reason },
    `per-service database roles are off (${reason}): the service connects as the configured user, which can reach every schema`,
  );
}

/**
 * Runs `work` while holding the schema's advisory lock on a connection of its own (outside any
 * pool). The lock is per session: it is released explicitly, and by PostgreSQL if the process dies.
 */
async function underMigrationLock<T>(lockClient: Client, schema: string, work: () => Promise<T>): Promise<T> {
  await lockClient.query(`SET lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
  await lockClient.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]);
  try {
    return await work();
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]);
  }
}
