import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { databaseNameOf, dropDatabase, withDatabase } from './database.provisioner';
import { PgErrorCode, pgErrorCode } from './pg-error.codes';
import { openServiceDataSource } from './service-data-source.factory';
import { serviceRoleNames } from './service-roles.names';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const silent = { info() {}, warn() {}, error() {} };

class Ledger1700000000001 implements MigrationInterface {
  name = 'Ledger1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE ledger (seq bigserial PRIMARY KEY, note text NOT NULL)');
    await q.query('CREATE TABLE journal (seq bigserial PRIMARY KEY, note text NOT NULL)');
  }
  async down(): Promise<void> {}
}

jest.setTimeout(60_000);

/** One fresh database per describe, dropped with its roles' objects at the end. */
function freshDatabase(): string {
  return withDatabase(BASE_URL, `certflow_test_roles_${randomBytes(4).toString('hex')}`);
}

async function admin<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

async function refusal(work: Promise<unknown>): Promise<string | undefined> {
  return work.then(
    () => 'allowed',
    (err: unknown) => pgErrorCode(err),
  );
}

const options = (url: string, schema: string, extra: object = {}) => ({ url, schema, entities: [], migrations: [Ledger1700000000001], poolSize: 2, logger: silent, ...extra });

describe('per-service database roles', () => {
  describe('when two instances of a service and another service start at once', () => {
    const url = freshDatabase();
    const opened: DataSource[] = [];
    let alpha: DataSource;
    let beta: DataSource;

    beforeAll(async () => {
      const all = await Promise.all([
        openServiceDataSource(options(url, 'alpha', { appendOnly: ['journal'] })),
        openServiceDataSource(options(url, 'alpha', { appendOnly: ['journal'] })),
        openServiceDataSource(options(url, 'beta')),
      ]);
      opened.push(...all);
      [alpha, , beta] = all;
    });
    afterAll(async () => {
      await Promise.all(opened.map((d) => d.destroy()));
      await dropDatabase(url);
    });

    it('connects each pool as its own runtime role, and the owner role owns the schema and its tables', async () => {
      const roles = serviceRoleNames(databaseNameOf(url), 'alpha');
      expect(await alpha.query('SELECT current_user AS u')).toEqual([{ u: roles.app }]);
      expect(await opened[1].query('SELECT current_user AS u')).toEqual([{ u: roles.app }]);
      expect(await beta.query('SELECT current_user AS u')).toEqual([{ u: serviceRoleNames(databaseNameOf(url), 'beta').app }]);
      const owners = await admin<{ owner: string }>(
        url,
        `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'alpha'
         UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'alpha'`,
      );
      expect(owners).toEqual([{ owner: roles.owner }]);
    });

    it("does its own work but cannot read or write another service's schema", async () => {
      await alpha.query(`INSERT INTO ledger (note) VALUES ('a')`);
      await alpha.query(`UPDATE ledger SET note = 'b'`);
      expect(await alpha.query('SELECT note FROM ledger')).toEqual([{ note: 'b' }]);
      await beta.query(`INSERT INTO ledger (note) VALUES ('beta')`);
      expect(await refusal(alpha.query('SELECT * FROM beta.ledger'))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await refusal(beta.query(`INSERT INTO alpha.ledger (note) VALUES ('x')`))).toBe(PgErrorCode.InsufficientPrivilege);
    });

    it('cannot create, alter or truncate anything', async () => {
      expect(await refusal(alpha.query('CREATE TABLE sneaky (id int)'))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await refusal(alpha.query('CREATE TABLE public.sneaky (id int)'))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await refusal(alpha.query('ALTER TABLE ledger ADD COLUMN x int'))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await refusal(alpha.query('TRUNCATE ledger'))).toBe(PgErrorCode.InsufficientPrivilege);
    });

    it('may only insert into and read an append-only table', async () => {
      await alpha.query(`INSERT INTO journal (note) VALUES ('kept')`);
      expect(await alpha.query('SELECT note FROM journal')).toEqual([{ note: 'kept' }]);
      expect(await refusal(alpha.query(`UPDATE journal SET note = 'changed'`))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await refusal(alpha.query('DELETE FROM journal'))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await refusal(alpha.query('TRUNCATE journal'))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await admin(url, 'SELECT note FROM alpha.journal')).toEqual([{ note: 'kept' }]);
    });

    it("grants what a later migration creates as the owner through the owner's default privileges", async () => {
      const { owner } = serviceRoleNames(databaseNameOf(url), 'alpha');
      await admin(url, `SET ROLE "${owner}"; CREATE TABLE alpha.later (seq serial PRIMARY KEY, v text)`);
      await alpha.query(`INSERT INTO later (v) VALUES ('new')`);
      expect(await alpha.query('SELECT v FROM later')).toEqual([{ v: 'new' }]);
    });
  });

  describe('when the database was made before per-service roles (objects owned by the admin user)', () => {
    const url = freshDatabase();
    let before: DataSource;
    let after: DataSource;
    let ownerBefore: string;

    beforeAll(async () => {
      before = await openServiceDataSource(options(url, 'gamma', { serviceRoles: false }));
      await admin(url, `CREATE FUNCTION gamma.noop() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
      await admin(url, 'CREATE SEQUENCE gamma.loose');
      await before.query(`INSERT INTO ledger (note) VALUES ('old')`);
      [{ owner: ownerBefore }] = await admin<{ owner: string }>(url, `SELECT tableowner AS owner FROM pg_tables WHERE schemaname = 'gamma' AND tablename = 'ledger'`);
      await before.destroy();
      after = await openServiceDataSource(options(url, 'gamma'));
    });
    afterAll(async () => {
      await after?.destroy();
      await dropDatabase(url);
    });

    it('hands the schema, its tables, sequences and functions to the owner role', async () => {
      const { owner } = serviceRoleNames(databaseNameOf(url), 'gamma');
      expect(ownerBefore).toBe(new URL(BASE_URL).username || 'postgres');
      const owners = await admin<{ what: string; owner: string }>(
        url,
        `SELECT c.relname AS what, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'gamma' AND c.relkind IN ('r', 'S')
         UNION ALL SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'gamma'`,
      );
      expect(owners.length).toBeGreaterThanOrEqual(6);
      expect(owners.filter((o) => o.owner !== owner)).toEqual([]);
    });

    it('lets the runtime role work on the rows written before', async () => {
      expect(await after.query('SELECT note FROM ledger')).toEqual([{ note: 'old' }]);
      await after.query(`INSERT INTO ledger (note) VALUES ('new')`);
      expect(await after.query(`SELECT nextval('loose')::int AS n`)).toEqual([{ n: 1 }]);
    });
  });

  describe('when a database whose roles were made is dropped', () => {
    const made: string[] = [];
    afterAll(async () => {
      for (const u of made) await dropDatabase(u);
    });

    it('drops its roles at the next service start elsewhere, and leaves roles in use alone', async () => {
      const gone = freshDatabase();
      const kept = freshDatabase();
      const other = freshDatabase();
      made.push(gone, kept, other);
      for (const u of [gone, kept]) await (await openServiceDataSource(options(u, 'eps'))).destroy();
      await dropDatabase(gone);
      const roleExists = async (name: string) => (await admin(withDatabase(BASE_URL, 'postgres'), 'SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).length === 1;
      expect(await roleExists(serviceRoleNames(databaseNameOf(gone), 'eps').owner)).toBe(true);
      const ds = await openServiceDataSource(options(other, 'eps'));
      await ds.destroy();
      expect(await roleExists(serviceRoleNames(databaseNameOf(gone), 'eps').owner)).toBe(false);
      expect(await roleExists(serviceRoleNames(databaseNameOf(gone), 'eps').app)).toBe(false);
      expect(await roleExists(serviceRoleNames(databaseNameOf(kept), 'eps').owner)).toBe(true);
    });

    it("drops a dropped schema's roles at the next start in the same database", async () => {
      const db = freshDatabase();
      made.push(db);
      const roleExists = async (name: string) => (await admin(withDatabase(BASE_URL, 'postgres'), 'SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).length === 1;
      await (await openServiceDataSource(options(db, 'zeta'))).destroy();
      await admin(db, 'DROP SCHEMA zeta CASCADE');
      await (await openServiceDataSource(options(db, 'eta'))).destroy();
      expect(await roleExists(serviceRoleNames(databaseNameOf(db), 'zeta').owner)).toBe(false);
      expect(await roleExists(serviceRoleNames(databaseNameOf(db), 'eta').owner)).toBe(true);
    });
  });

  describe('when the configured user has CREATEROLE but is not a superuser', () => {
    const url = freshDatabase();
    const creator = `certflow_test_creator_${randomBytes(4).toString('hex')}`;
    let ds: DataSource;

    beforeAll(async () => {
      await admin(withDatabase(BASE_URL, 'postgres'), `CREATE ROLE ${creator} LOGIN CREATEDB CREATEROLE`);
      const creatorUrl = new URL(url);
      creatorUrl.username = creator;
      ds = await openServiceDataSource(options(creatorUrl.toString(), 'theta', { appendOnly: ['journal'] }));
    });
    afterAll(async () => {
      await ds?.destroy();
      await dropDatabase(url);
      await admin(withDatabase(BASE_URL, 'postgres'), `DROP ROLE IF EXISTS ${creator}`);
    });

    it('makes the roles all the same, and the pool is the runtime role', async () => {
      expect(await ds.query('SELECT current_user AS u')).toEqual([{ u: serviceRoleNames(databaseNameOf(url), 'theta').app }]);
      await ds.query(`INSERT INTO journal (note) VALUES ('x')`);
      expect(await refusal(ds.query('DELETE FROM journal'))).toBe(PgErrorCode.InsufficientPrivilege);
    });
  });

  describe('when the configured user may not create roles', () => {
    const url = freshDatabase();
    const weak = `certflow_test_weak_${randomBytes(4).toString('hex')}`;
    let ds: DataSource;
    const warnings: string[] = [];

    beforeAll(async () => {
      await admin(withDatabase(BASE_URL, 'postgres'), `CREATE ROLE ${weak} LOGIN CREATEDB`);
      const weakUrl = new URL(url);
      weakUrl.username = weak;
      ds = await openServiceDataSource(options(weakUrl.toString(), 'delta', { logger: { ...silent, warn: (_: object, m: string) => warnings.push(m) } }));
    });
    afterAll(async () => {
      await ds?.destroy();
      await dropDatabase(url);
      await admin(withDatabase(BASE_URL, 'postgres'), `DROP ROLE IF EXISTS ${weak}`);
    });

    it('keeps one user for everything and says why', async () => {
      expect(await ds.query('SELECT current_user AS u')).toEqual([{ u: weak }]);
      expect(warnings).toEqual([expect.stringMatching(/per-service database roles are off .*neither CREATEROLE nor SUPERUSER/)]);
    });
  });
});
