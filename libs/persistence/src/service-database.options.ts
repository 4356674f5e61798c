/**
 * The few log calls persistence makes. A pino logger fits; so does `console`.
 */
export interface PersistenceLogger {
  info(obj: object | string, msg?: string): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
}

/**
 * How one service reaches its own data. Every service shares the PostgreSQL database but owns one
 * schema of it: its tables, its outbox and inbox, and its migration history live there and nowhere
 * else, so no service can read or write another's rows by accident.
 */
export interface ServiceDatabaseOptions {
  /** PostgreSQL URL; the database named in it is created if missing, e.g. `postgres://postgres@127.0.0.1:5432/certflow`. */
  url: string;
  /** The service's own schema, e.g. `request`: lower-case letters, digits and `_`, starting with a letter or `_`. */
  schema: string;
  /** TypeORM entities. Give them no explicit `schema`, so they land in the service's schema. */
  entities: Function[];
  /**
   * TypeORM migration classes, run in order of their timestamp at start, under an advisory lock.
   * Write raw SQL without a schema prefix: it runs with `search_path` set to the service's schema.
   * Use `gen_random_uuid()` (built in) rather than an extension's functions for UUID defaults.
   */
  migrations: Function[];
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Hot statements `preparedQuery` sends together at most (group commit); 1 sends each alone. Default 64. */
  statementGroup?: number;
  /**
   * Tables the runtime role may only INSERT into and SELECT from (UPDATE, DELETE and TRUNCATE are
   * revoked), e.g. an audit log. Only when per-service roles are on.
   */
  appendOnly?: string[];
  /**
   * Per-service roles (an owner for migrations, a runtime role for the pool) when the configured
   * user may create roles. Default true; false keeps one user for everything.
   */
  serviceRoles?: boolean;
  /** Where to report the migrations applied. Default: a pino logger named after the schema. */
  logger?: PersistenceLogger;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Throws unless `schema` is a plain lower-case PostgreSQL identifier. The name goes into a
 * connection's `search_path` startup option, where quoting would not survive, so it is checked
 * instead of escaped.
 */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new Error(
      `invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits and "_", ` +
        'starting with a letter or "_", at most 63 characters, not starting with "pg_"',
    );
  }
}
