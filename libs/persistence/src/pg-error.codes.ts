/**
 * SQLSTATE codes persistence and the services react to. Named so a reader need not look them up.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const PgErrorCode = {
  /** A row with this key already exists: the signal services use for idempotency. */
  UniqueViolation: '23505',
  /** `CREATE DATABASE` lost a race with another creator. */
  DuplicateDatabase: '42P04',
  /** `CREATE SCHEMA` lost a race with another creator. */
  DuplicateSchema: '42P06',
  /** `CREATE ROLE` lost a race with another creator. */
  DuplicateObject: '42710',
  /** `CREATE TABLE IF NOT EXISTS` lost a race with another creator. */
  DuplicateTable: '42P07',
  /** The connected role lacks a privilege: what per-service roles make of a reach into another schema. */
  InsufficientPrivilege: '42501',
  /** The server refused the login (pg_hba.conf has no rule that lets this role in this way). */
  InvalidAuthorization: '28000',
  /** Wrong password. */
  InvalidPassword: '28P01',
  /** The database named in a connection does not exist. */
  InvalidCatalogName: '3D000',
} as const;

/**
 * The SQLSTATE of an error from `pg` or TypeORM, or undefined. TypeORM's `QueryFailedError` copies
 * the driver's fields onto itself and also keeps the original as `driverError`; both are read.
 */
export function pgErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.driverError?.code === 'string') return e.driverError.code;
  return undefined;
}

/**
 * True when `err` is PostgreSQL's unique violation (23505). A service inserting a row keyed by an
 * idempotency key or event id treats this as "already done", not as a failure.
 */
export function isUniqueViolation(err: unknown): boolean {
  return pgErrorCode(err) === PgErrorCode.UniqueViolation;
}
