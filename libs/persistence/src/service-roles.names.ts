import { createHash } from 'node:crypto';

/** PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/** The two roles one service uses in one database. */
export interface ServiceRoleNames {
  /** NOLOGIN: owns the schema and everything in it; migrations run as it (`SET ROLE`). */
  owner: string;
  /** LOGIN: what the service's pool connects as; only the grants its queries use. */
  app: string;
}

/**
 * The roles of service `schema` in `database`: `<database>_<schema>_owner` and `<database>_<schema>_app`.
 * Roles are cluster-wide while schemas are per database, so the database is in the name (tests
 * make many databases on one cluster). A name that would pass PostgreSQL's 63-byte limit keeps a
 * readable prefix and ends in a hash of the whole name, so two long names never meet.
 */
export function serviceRoleNames(database: string, schema: string): ServiceRoleNames {
  return { owner: roleName(`${database}_${schema}`, 'owner'), app: roleName(`${database}_${schema}`, 'app') };
}

function roleName(base: string, suffix: string): string {
  const lower = base.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const full = `${lower}_${suffix}`;
  if (Buffer.byteLength(full) <= MAX_IDENTIFIER_BYTES && lower === base) return full;
  const hash = createHash('sha256').update(`${base}\0${suffix}`).digest('hex').slice(0, 10);
  const room = MAX_IDENTIFIER_BYTES - hash.length - suffix.length - 2;
  return `${lower.slice(0, room)}_${hash}_${suffix}`;
}
