import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dropDatabase, withDatabase } from './database.provisioner';
import { preparedQuery, runStatement, statementGroupStats } from './prepared.query';
import { openServiceDataSource } from './service-data-source.factory';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const suffix = randomBytes(4).toString('hex');
const database = `certflow_test_prepared_${suffix}`;

describe('prepared statements', () => {
  let ds: DataSource;

  beforeAll(async () => {
    // The test makes its tables at run time, as the provisioning user; roles are not its subject.
    ds = await openServiceDataSource({ url: withDatabase(BASE_URL, database), schema: `svc_${suffix}`, entities: [], migrations: [], serviceRoles: false });
    await ds.query('CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)');
  });

  afterAll(async () => {
    await ds.destroy();
    await dropDatabase(withDatabase(BASE_URL, database));
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

  describe('group commit', () => {
    beforeAll(async () => {
      await ds.query(`CREATE TABLE kinds (id int PRIMARY KEY, t text, n numeric, b boolean, at timestamptz, j jsonb, a text[], raw bytea)`);
    });

    it('sends statements started together in fewer round trips than statements, each caller getting its own rows', async () => {
      const before = { ...statementGroupStats(ds)! };
      const insert = 'INSERT INTO note (id, body) VALUES ($1, $2) RETURNING id, body';
      const rows = await Promise.all(Array.from({ length: 50 }, (_, i) => preparedQuery<{ id: number; body: string }>(ds, insert, [1000 + i, `grouped ${i}`])));
      rows.forEach(([r], i) => expect(r).toEqual({ id: 1000 + i, body: `grouped ${i}` }));
      const after = statementGroupStats(ds)!;
      expect(after.statements - before.statements).toBe(50);
      expect(after.groups - before.groups).toBeLessThan(10);
      expect(after.inlined - before.inlined).toBeGreaterThan(0);
    });

    it('fails only the statement that failed: the others of its group are stored and answered', async () => {
      await preparedQuery(ds, 'INSERT INTO note (id, body) VALUES ($1, $2)', [2000, 'taken']);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => preparedQuery(ds, 'INSERT INTO note (id, body) VALUES ($1, $2) RETURNING id', [2000 + i, `try ${i}`])),
      );
      expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: '23505' } });
      expect(results.slice(1).every((r) => r.status === 'fulfilled')).toBe(true);
      const stored = await ds.query('SELECT id, body FROM note WHERE id BETWEEN 2000 AND 2019 ORDER BY id');
      expect(stored).toEqual([{ id: 2000, body: 'taken' }, ...Array.from({ length: 19 }, (_, i) => ({ id: 2001 + i, body: `try ${i + 1}` }))]);
    });

    it('stores every kind of value inline exactly as it stores a parameter', async () => {
      const values = (id: number) => [
        id,
        `it's a "quote" \\ back\\slash, ünïcødé, $1 and ; DROP TABLE note; --`,
        '12345678901234567890.125',
        false,
        new Date('2026-11-24T15:00:00.123Z'),
        JSON.stringify({ nested: { a: [1, 'x\'y'] }, s: 'back\\slash' }),
        ['a', 'b c', 'd"e', "f'g", null],
        Buffer.from([0, 1, 2, 255, 92, 39]),
      ];
      const insert = 'INSERT INTO kinds (id, t, n, b, at, j, a, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)';
      await preparedQuery(ds, insert, values(1)); // alone: the parameter path
      const inlinedBefore = statementGroupStats(ds)!.inlined;
      await Promise.all([2, 3, 4, 5, 6].map((id) => preparedQuery(ds, insert, values(id)))); // grouped, inline
      expect(statementGroupStats(ds)!.inlined - inlinedBefore).toBeGreaterThanOrEqual(3);
      const read = await ds.query('SELECT t, n::text AS n, b, at, j, a, raw FROM kinds ORDER BY id');
      expect(read).toHaveLength(6);
      for (const row of read.slice(1)) expect(row).toEqual(read[0]);
      expect(read[0].t).toBe(values(1)[1]);
      expect(read[0].raw).toEqual(values(1)[7]);
    });
  });

  it('with a group size of 1 sends each statement alone, several at once on the pool', async () => {
    const alone = await openServiceDataSource({ url: withDatabase(BASE_URL, database), schema: `svc_${suffix}`, entities: [], migrations: [], statementGroup: 1, serviceRoles: false });
    const holder = ds.createQueryRunner();
    try {
      await holder.query('SELECT pg_advisory_lock(4242)');
      const waiting = Array.from({ length: 4 }, (_, i) => preparedQuery<{ i: number }>(alone, 'SELECT pg_advisory_xact_lock_shared(4242), $1::int AS i', [i]));
      // All four wait on the lock at the same time: sent one at a time, only one could.
      const blocked = async () =>
        (await ds.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock_shared(4242)%' AND pid <> pg_backend_pid()`))[0].n;
      for (let tries = 0; (await blocked()) < 4 && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
      expect(await blocked()).toBe(4);
      await holder.query('SELECT pg_advisory_unlock(4242)');
      expect((await Promise.all(waiting)).map(([r]) => r.i)).toEqual([0, 1, 2, 3]);
      expect(statementGroupStats(alone)).toBeUndefined();
    } finally {
      await holder.release();
      await alone.destroy();
    }
  });
});
