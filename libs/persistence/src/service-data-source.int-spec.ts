import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Column, DataSource, Entity, PrimaryColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { DATA_SOURCE, PersistenceModule } from './persistence.module';
import { databaseNameOf, ensureDatabase, quoteIdent, withDatabase } from './database.provisioner';
import { isUniqueViolation } from './pg-error.codes';
import { openServiceDataSource } from './service-data-source.factory';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const suffix = randomBytes(4).toString('hex');
const url = withDatabase(BASE_URL, `certflow_test_persistence_${suffix}`);
const schema = `svc_${suffix}`;

@Entity('widget')
class Widget {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
}

/** Slow on purpose: widens the window in which two unlocked migrators would collide. */
class CreateWidgets1700000000001 implements MigrationInterface {
  name = 'CreateWidgets1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE widget (id text PRIMARY KEY, name text NOT NULL)');
    await q.query('CREATE TABLE migration_runs (at timestamptz NOT NULL DEFAULT now())');
    await q.query('SELECT pg_sleep(0.3)');
    await q.query('INSERT INTO migration_runs DEFAULT VALUES');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE migration_runs');
    await q.query('DROP TABLE widget');
  }
}

async function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = [], target = 'postgres'): Promise<T[]> {
  const client = new Client({ connectionString: withDatabase(BASE_URL, target) });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const databaseExists = async (name: string) =>
  (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;

const silent = { info() {}, warn() {}, error() {} };
const options = () => ({ url, schema, entities: [Widget], migrations: [CreateWidgets1700000000001], poolSize: 2, logger: silent });

jest.setTimeout(30_000);

const opened: DataSource[] = [];

afterAll(async () => {
  await Promise.all(opened.filter((d) => d.isInitialized).map((d) => d.destroy()));
  await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(databaseNameOf(url))} WITH (FORCE)`);
});

describe('openServiceDataSource', () => {
  describe('when the database and the schema are missing and two instances start together', () => {
    let first: DataSource;
    let second: DataSource;

    beforeAll(async () => {
      expect(await databaseExists(databaseNameOf(url))).toBe(false);
      [first, second] = await Promise.all([openServiceDataSource(options()), openServiceDataSource(options())]);
      opened.push(first, second);
    });

    it('creates the database', async () => {
      expect(await databaseExists(databaseNameOf(url))).toBe(true);
    });

    it("creates the schema and puts the migrations' tables and the migrations table in it", async () => {
      const rows = await adminQuery<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
        databaseNameOf(url),
      );
      expect(rows.map((r) => r.table_name)).toEqual(['migration_runs', 'migrations', 'widget']);
      const elsewhere = await adminQuery(
        "SELECT table_schema FROM information_schema.tables WHERE table_name IN ('widget', 'migrations') AND table_schema <> $1",
        [schema],
        databaseNameOf(url),
      );
      expect(elsewhere).toEqual([]);
    });

    it('runs each migration once', async () => {
      const [{ runs }] = await first.query('SELECT count(*)::int AS runs FROM migration_runs');
      expect(runs).toBe(1);
      const recorded = await second.query(`SELECT name FROM ${quoteIdent(schema)}.migrations`);
      expect(recorded).toEqual([{ name: 'CreateWidgets1700000000001' }]);
    });

    it('lets entities and raw SQL reach the same tables through either instance', async () => {
      await first.getRepository(Widget).insert({ id: 'w1', name: 'one' });
      expect(await second.query('SELECT name FROM widget WHERE id = $1', ['w1'])).toEqual([{ name: 'one' }]);
      const again = await second.getRepository(Widget).insert({ id: 'w1', name: 'dup' }).catch((e: unknown) => e);
      expect(isUniqueViolation(again)).toBe(true);
    });

    it('applies nothing on a later start', async () => {
      const third = await openServiceDataSource(options());
      opened.push(third);
      const [{ runs }] = await third.query('SELECT count(*)::int AS runs FROM migration_runs');
      expect(runs).toBe(1);
    });
  });

  describe('when the database already exists', () => {
    it('ensureDatabase leaves it alone, even with several callers at once', async () => {
      await expect(Promise.all([ensureDatabase(url), ensureDatabase(url), ensureDatabase(url)])).resolves.toBeDefined();
    });
  });

  describe('when the schema name is not a plain identifier', () => {
    it('refuses it before connecting', async () => {
      await expect(openServiceDataSource({ ...options(), schema: 'Bad-Name"; drop' })).rejects.toThrow(/invalid schema name/);
    });
  });
});

describe('PersistenceModule', () => {
  describe('when a Nest application starts and stops', () => {
    it('provides one migrated DataSource under DATA_SOURCE and DataSource, and destroys it at shutdown', async () => {
      @Module({ imports: [PersistenceModule.forService(options)] })
      class AppModule {}
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
      const byToken = app.get<DataSource>(DATA_SOURCE);
      expect(app.get(DataSource)).toBe(byToken);
      expect(await byToken.query('SELECT count(*)::int AS n FROM migration_runs')).toEqual([{ n: 1 }]);
      await app.close();
      expect(byToken.isInitialized).toBe(false);
    });
  });
});
