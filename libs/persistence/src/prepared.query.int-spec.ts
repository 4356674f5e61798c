import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { quoteIdent, withDatabase } from './database.provisioner';
import { preparedQuery, runStatement } from './prepared.query';
import { openServiceDataSource } from './service-data-source.factory';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const suffix = randomBytes(4).toString('hex');
const database = `certflow_test_prepared_${suffix}`;

describe('prepared statements', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await openServiceDataSource({ url: withDatabase(BASE_URL, database), schema: `svc_${suffix}`, entities: [], migrations: [] });
    await ds.query('CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)');
  });

  afterAll(async () => {
    await ds.destroy();
    const admin = new DataSource({ type: 'postgres', url: withDatabase(BASE_URL, 'postgres') });
    await admin.initialize();
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    await admin.destroy();
  });

  it('runs one text many times on every pooled connection, in the service schema, and tells texts apart', async () => {
    const insert = 'INSERT INTO note (id, body) VALUES ($1, $2) RETURNING id';
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => preparedQuery<{ id: number }>(ds, insert, [i, `note ${i}`])));
    expect(ids.map(([r]) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(await preparedQuery(ds, 'SELECT count(*)::int AS n FROM note WHERE id < $1', [10])).toEqual([{ n: 10 }]);
    expect(await preparedQuery(ds, 'SELECT count(*)::int AS n FROM note WHERE id >= $1', [10])).toEqual([{ n: 20 }]);
  });

  it('runs inside the caller\'s transaction when there is one: a rollback takes the statement with it', async () => {
    await expect(
      ds.transaction(async (m) => {
        await runStatement(m, 'INSERT INTO note (id, body) VALUES ($1, $2)', [100, 'rolled back']);
        expect(await runStatement(m, 'SELECT body FROM note WHERE id = $1', [100])).toEqual([{ body: 'rolled back' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await runStatement(ds.manager, 'SELECT body FROM note WHERE id = $1', [100])).toEqual([]);
  });
});
