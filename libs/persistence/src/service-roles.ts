import { randomBytes } from 'node:crypto';
import { ensureSchema, quoteIdent, type SqlRunner } from './database.provisioner';
import { PgErrorCode, pgErrorCode } from './pg-error.codes';
import { serviceRoleNames, type ServiceRoleNames } from './service-roles.names';

/**
 * Schema, readable by the provisioning user only, that keeps each runtime role's password, so every
 * instance of a service logs in with the same one: a password changed by one starting instance would
 * lock the running instances' pools out at their next new connection.
 */
export const ROLE_SECRETS_SCHEMA = 'certflow_roles';

/** What the service's pool connects as when per-service roles are on. */
export interface ServiceLogin {
  roles: ServiceRoleNames;
  password: string;
}

/** Whether the configured user may create the per-service roles, and if not, why. */
export type RoleCapability = { ok: true; superuser: boolean } | { ok: false; reason: string };

/** Reads what the connected user may do: creating roles needs CREATEROLE or superuser. */
export async function roleCapability(client: SqlRunner): Promise<RoleCapability> {
  const [row] = await rowsOf<{ name: string; superuser: boolean; createrole: boolean }>(
    client,
    'SELECT current_user AS name, rolsuper AS superuser, rolcreaterole AS createrole FROM pg_roles WHERE rolname = current_user',
    [],
  );
  if (!row) return { ok: false, reason: 'the connected user is not in pg_roles' };
  if (row.superuser || row.createrole) return { ok: true, superuser: row.superuser };
  return { ok: false, reason: `user ${row.name} has neither CREATEROLE nor SUPERUSER` };
}

/**
 * Before migrations, under the schema's migration lock: the owner and runtime roles exist, the
 * owner owns the schema and every object already in it (a database made before per-service roles
 * had them owned by the provisioning user), and what the owner creates later is granted to the
 * runtime role by default privileges. Idempotent; safe against another database's provisioning
 * at the same time (role names carry the database).
 */
export async function prepareServiceRoles(client: SqlRunner, database: string, schema: string, superuser: boolean): Promise<ServiceRoleNames> {
  return underRolesLock(client, () => prepareUnlocked(client, database, schema, superuser));
}

async function prepareUnlocked(client: SqlRunner, database: string, schema: string, superuser: boolean): Promise<ServiceRoleNames> {
  const roles = serviceRoleNames(database, schema);
  await sweepOrphanRoles(client);
  await createRole(client, roles.owner, 'NOLOGIN NOINHERIT', { database, schema });
  await createRole(client, roles.app, 'LOGIN NOINHERIT', { database, schema });
  // A CREATEROLE user that is not superuser must be a member to hand objects to the owner and SET ROLE to it.
  if (!superuser) await client.query(`GRANT ${quoteIdent(roles.owner)} TO CURRENT_USER`);
  await adoptSchemaObjects(client, schema, roles.owner);
  const s = quoteIdent(schema);
  const owner = quoteIdent(roles.owner);
  const app = quoteIdent(roles.app);
  await client.query(`REVOKE ALL ON SCHEMA ${s} FROM PUBLIC`);
  await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${app}`);
  await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`);
  await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${app}`);
  return roles;
}

/**
 * After migrations: the runtime role holds the DML grants on every table and sequence of the schema
 * (default privileges cover only what the owner creates from now on), loses UPDATE, DELETE and
 * TRUNCATE on the append-only tables, and has its password set. Returns how to log in as it.
 */
export async function grantServiceRuntime(client: SqlRunner, schema: string, roles: ServiceRoleNames, appendOnly: readonly string[]): Promise<ServiceLogin> {
  return underRolesLock(client, () => grantUnlocked(client, schema, roles, appendOnly));
}

async function grantUnlocked(client: SqlRunner, schema: string, roles: ServiceRoleNames, appendOnly: readonly string[]): Promise<ServiceLogin> {
  const s = quoteIdent(schema);
  const app = quoteIdent(roles.app);
  await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${app}`);
  await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${app}`);
  // The default privileges grant no TRUNCATE; revoking it too keeps the rule readable here.
  for (const table of appendOnly) await client.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${s}.${quoteIdent(table)} FROM ${app}`);
  const password = await loginSecret(client, roles.app);
  await client.query(`ALTER ROLE ${app} WITH LOGIN PASSWORD ${quoteLiteral(password)}`);
  return { roles, password };
}

/** The URL with another user and password: same host, port, database and options. */
export function withLogin(url: string, login: ServiceLogin): string {
  const u = new URL(url);
  u.username = encodeURIComponent(login.roles.app);
  u.password = encodeURIComponent(login.password);
  return u.toString();
}

/** Advisory lock key ('cfrl') for role provisioning in one database. */
const ROLES_LOCK = 0x6366726c;

/**
 * Services of one database provision at the same time under their own migration locks, but GRANT
 * and REVOKE on shared catalog rows (the secrets schema, role memberships) fail with "tuple
 * concurrently updated" when they overlap, so this part takes one lock per database.
 */
async function underRolesLock<T>(client: SqlRunner, work: () => Promise<T>): Promise<T> {
  await client.query('SELECT pg_advisory_lock($1, 0)', [ROLES_LOCK]);
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, 0)', [ROLES_LOCK]);
  }
}

/** CREATE ROLE, where another starting instance having just created it counts as done. */
async function createRole(client: SqlRunner, role: string, attributes: string, serves: { database: string; schema: string }): Promise<void> {
  const found = await rowsOf(client, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (found.length > 0) return;
  try {
    await client.query(`CREATE ROLE ${quoteIdent(role)} ${attributes}`);
    await client.query(`COMMENT ON ROLE ${quoteIdent(role)} IS ${quoteLiteral(ROLE_COMMENT_PREFIX + JSON.stringify(serves))}`);
  } catch (err) {
    const code = pgErrorCode(err);
    if (code !== PgErrorCode.DuplicateObject && code !== PgErrorCode.UniqueViolation) throw err;
  }
}

/** Marks a role certflow made, with the database and schema it serves, so it can go with them. */
const ROLE_COMMENT_PREFIX = 'certflow-service-role:';

/**
 * Drops the roles certflow made for databases that no longer exist, or for schemas of this
 * database that no longer exist (tests make and drop many of both).
 * PostgreSQL refuses to drop a role that still owns or is granted anything in any database, so a
 * role still in use is never lost; a failure (another sweeper was first, no right) is skipped.
 */
export async function sweepOrphanRoles(client: SqlRunner, limit = 100): Promise<number> {
  const orphans = await rowsOf<{ name: string }>(
    client,
    `SELECT name FROM (
       SELECT r.rolname AS name, substr(shobj_description(r.oid, 'pg_authid'), $2)::jsonb AS serves FROM pg_roles r
        WHERE shobj_description(r.oid, 'pg_authid') LIKE $1 || '{%}') marked
      WHERE NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = serves->>'database')
         OR (serves->>'database' = current_database() AND NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = serves->>'schema'))
      LIMIT $3`,
    [ROLE_COMMENT_PREFIX, ROLE_COMMENT_PREFIX.length + 1, limit],
  );
  let dropped = 0;
  for (const o of orphans) {
    try {
      await client.query(`DROP ROLE IF EXISTS ${quoteIdent(o.name)}`);
      dropped++;
    } catch {
      // Still referenced somewhere, or already gone: leave it.
    }
  }
  return dropped;
}

/**
 * ALTER … OWNER for the schema and each object in it owned by someone else. REASSIGN OWNED works
 * on a whole role across the database, not on one schema, hence the loop. Sequences that belong
 * to a column follow their table and cannot be moved alone.
 */
async function adoptSchemaObjects(client: SqlRunner, schema: string, owner: string): Promise<void> {
  const o = quoteIdent(owner);
  await client.query(`ALTER SCHEMA ${quoteIdent(schema)} OWNER TO ${o}`);
  const relations = await rowsOf<{ name: string; kind: string }>(
    client,
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND pg_get_userbyid(c.relowner) <> $2
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
      ORDER BY c.relkind = 'S', c.relname`,
    [schema, owner],
  );
  for (const r of relations) {
    const what = r.kind === 'S' ? 'SEQUENCE' : r.kind === 'v' ? 'VIEW' : r.kind === 'm' ? 'MATERIALIZED VIEW' : r.kind === 'f' ? 'FOREIGN TABLE' : 'TABLE';
    await client.query(`ALTER ${what} ${quoteIdent(schema)}.${quoteIdent(r.name)} OWNER TO ${o}`);
  }
  const functions = await rowsOf<{ signature: string }>(
    client,
    `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> $2`,
    [schema, owner],
  );
  // regprocedure text is already qualified and quoted as needed (the schema is not on search_path here).
  for (const f of functions) await client.query(`ALTER ROUTINE ${f.signature} OWNER TO ${o}`);
}

/** The runtime role's password: made once, kept where only the provisioning user can read it. */
async function loginSecret(client: SqlRunner, role: string): Promise<string> {
  const table = `${quoteIdent(ROLE_SECRETS_SCHEMA)}.login_secret`;
  await ensureSchema(client, ROLE_SECRETS_SCHEMA);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (role name PRIMARY KEY, password text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  } catch (err) {
    // Two services creating it at once: the loser sees a duplicate type or table.
    const code = pgErrorCode(err);
    if (code !== PgErrorCode.UniqueViolation && code !== PgErrorCode.DuplicateTable) throw err;
  }
  await client.query(`REVOKE ALL ON SCHEMA ${quoteIdent(ROLE_SECRETS_SCHEMA)} FROM PUBLIC`);
  await client.query(`INSERT INTO ${table} (role, password) VALUES ($1, $2) ON CONFLICT (role) DO NOTHING`, [
    role,
    randomBytes(32).toString('base64url'),
  ]);
  const [row] = await rowsOf<{ password: string }>(client, `SELECT password FROM ${table} WHERE role = $1`, [role]);
  return row.password;
}

function quoteLiteral(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}

async function rowsOf<T = unknown>(client: SqlRunner, sql: string, params: unknown[]): Promise<T[]> {
  const result = (await client.query(sql, params)) as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}
