import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dropDatabase, openServiceDataSource, preparedQuery, withDatabase } from '@certflow/persistence';
import { observeStatementGroups } from './db.metrics';
import { renderMetrics } from './process.metrics';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const suffix = randomBytes(4).toString('hex');
const database = `certflow_test_dbmetrics_${suffix}`;

async function metric(name: string): Promise<number> {
  const { body } = await renderMetrics();
  const line = body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

describe('group-commit metrics', () => {
  let ds: DataSource;

  beforeAll(async () => {
    // The test makes its tables at run time, as the provisioning user; roles are not its subject.
    ds = await openServiceDataSource({ url: withDatabase(BASE_URL, database), schema: `svc_${suffix}`, entities: [], migrations: [], serviceRoles: false });
    await ds.query('CREATE TABLE note (id int PRIMARY KEY)');
    observeStatementGroups(ds);
  });

  afterAll(async () => {
    await ds.destroy();
    await dropDatabase(withDatabase(BASE_URL, database));
  });

  it('counts statements, the round trips they took, and reruns after a failed group', async () => {
    const before = { statements: await metric('certflow_db_grouped_statements_total'), groups: await metric('certflow_db_groups_total'), rerun: await metric('certflow_db_statements_rerun_alone_total') };
    await Promise.all(Array.from({ length: 40 }, (_, i) => preparedQuery(ds, 'INSERT INTO note (id) VALUES ($1)', [i])));
    const statements = (await metric('certflow_db_grouped_statements_total')) - before.statements;
    const groups = (await metric('certflow_db_groups_total')) - before.groups;
    expect(statements).toBe(40);
    expect(groups).toBeGreaterThan(0);
    expect(groups).toBeLessThan(statements);

    // id 0 exists (the last of the ten): its group fails and every statement in it runs again alone.
    await Promise.allSettled(Array.from({ length: 10 }, (_, i) => preparedQuery(ds, 'INSERT INTO note (id) VALUES ($1)', [i === 9 ? 0 : 100 + i])));
    expect((await metric('certflow_db_statements_rerun_alone_total')) - before.rerun).toBeGreaterThan(0);
  });
});
