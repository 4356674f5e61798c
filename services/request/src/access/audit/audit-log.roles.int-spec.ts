import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { CreateMessagingTables1700000000000, MESSAGING_ENTITIES } from '@certflow/messaging';
import { openServiceDataSource, pgErrorCode, PgErrorCode } from '@certflow/persistence';
import { dropDatabase, runId, testDatabaseUrl } from '@certflow/testing';
import { RequestTables1700000001000 } from '../../migrations/1700000001000-request-tables';
import { Access1700000003000 } from '../../migrations/1700000003000-access';
import { AUDIT_TABLE, AuditStore } from './audit.store';

jest.setTimeout(60_000);

/** Stands in for the gateway's schema: a table of CA material the request service must never read. */
class GatewayMaterial1712000000000 implements MigrationInterface {
  name = 'GatewayMaterial1712000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE ca_material (issuer text PRIMARY KEY, private_key bytea NOT NULL)');
    await q.query(`INSERT INTO ca_material VALUES ('internal', '\\x00')`);
  }
  async down(): Promise<void> {}
}

const silent = { info() {}, warn() {}, error() {} };
const refusal = (work: Promise<unknown>) => work.then(() => 'allowed', (err: unknown) => pgErrorCode(err));

describe("the request service's database role (real PostgreSQL)", () => {
  const url = testDatabaseUrl(runId());
  let request: DataSource;
  let gateway: DataSource;

  beforeAll(async () => {
    [request, gateway] = await Promise.all([
      openServiceDataSource({
        url,
        schema: 'request',
        entities: MESSAGING_ENTITIES,
        migrations: [CreateMessagingTables1700000000000, RequestTables1700000001000, Access1700000003000],
        appendOnly: [AUDIT_TABLE],
        poolSize: 2,
        logger: silent,
      }),
      openServiceDataSource({ url, schema: 'ca_gateway', entities: [], migrations: [GatewayMaterial1712000000000], poolSize: 1, logger: silent }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([request?.destroy(), gateway?.destroy()]);
    await dropDatabase(url);
  });

  describe('when it reaches into the gateway schema', () => {
    it('is refused (permission denied), while the gateway reads its own table', async () => {
      expect(await refusal(request.query('SELECT * FROM ca_gateway.ca_material'))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await refusal(request.query(`UPDATE ca_gateway.ca_material SET private_key = '\\x01'`))).toBe(PgErrorCode.InsufficientPrivilege);
      expect(await gateway.query('SELECT issuer FROM ca_material')).toEqual([{ issuer: 'internal' }]);
    });
  });

  describe('when it does its own work', () => {
    it('writes and reads its tables, its outbox included', async () => {
      const id = randomUUID();
      await request.query(
        `INSERT INTO api_token (id, name, role, secret_sha256, created_at, created_by) VALUES ($1, 'ci', 'viewer', '\\xaa', now(), 'admin')`,
        [id],
      );
      await request.query(`UPDATE api_token SET last_used_at = now() WHERE id = $1`, [id]);
      expect(await request.query('SELECT name FROM api_token WHERE id = $1', [id])).toEqual([{ name: 'ci' }]);
      expect(await request.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 0 }]);
      expect(await request.query('SELECT count(*)::int AS n FROM inbox')).toEqual([{ n: 0 }]);
    });
  });

  describe('when it touches the audit log', () => {
    beforeAll(async () => {
      await request.transaction((m) => new AuditStore(request).append(m, { at: new Date(), kind: 'token.created', actor: 'admin', subject: 'x' }));
    });

    it('appends and reads entries', async () => {
      const page = await new AuditStore(request).list({});
      expect(page.items.map((i) => i.subject)).toEqual(['x']);
    });

    it.each([
      ['UPDATE', `UPDATE audit_entry SET actor = 'someone else'`],
      ['DELETE', 'DELETE FROM audit_entry'],
      ['TRUNCATE', 'TRUNCATE audit_entry'],
    ])('is refused %s by the database role itself', async (_, sql) => {
      expect(await refusal(request.query(sql))).toBe(PgErrorCode.InsufficientPrivilege);
      const admin = new Client({ connectionString: url });
      await admin.connect();
      try {
        expect((await admin.query('SELECT actor FROM request.audit_entry')).rows).toEqual([{ actor: 'admin' }]);
      } finally {
        await admin.end();
      }
    });
  });
});
