import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { CreateMessagingTables1700000000000, MESSAGING_ENTITIES } from '@certflow/messaging';
import { openServiceDataSource } from '@certflow/persistence';
import { fixedClock } from '@certflow/testing';
import { CreateIssuanceTables1712000000000 } from '../../../migrations/1712000000000-create-issuance-tables';
import { CaMaterialOrmEntity } from './ca-material.orm-entity';
import { createCipheriv } from 'node:crypto';
import { decryptPrivateKey } from '@certflow/pki';
import { InternalCaAdapter } from './internal-ca.adapter';
import { caKeyLabel, createInternalCa, type InternalCaRecord } from './internal-ca.material';
import { PgInternalCaStore } from './pg-internal-ca.store';

jest.setTimeout(30_000);

const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE = `certflow_test_cagw_store_${randomBytes(4).toString('hex')}`;
const KEY = randomBytes(32);

function open(): Promise<DataSource> {
  return openServiceDataSource({
    url: `${PG_URL}/${DATABASE}`,
    schema: 'ca_gateway',
    entities: [...MESSAGING_ENTITIES, CaMaterialOrmEntity],
    migrations: [CreateMessagingTables1700000000000, CreateIssuanceTables1712000000000],
    poolSize: 2,
  });
}

describe(PgInternalCaStore, () => {
  // Two data sources: two gateway instances starting at once on an empty database.
  let first: DataSource;
  let second: DataSource;

  beforeAll(async () => {
    first = await open();
    second = await open();
  });

  afterAll(async () => {
    await first?.destroy();
    await second?.destroy();
    const admin = new Client({ connectionString: `${PG_URL}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  });

  describe('when two instances start together on an empty database', () => {
    it('creates one CA, publishes it once, and both use it', async () => {
      let creations = 0;
      let kicks = 0;
      const create = async (): Promise<InternalCaRecord> => {
        creations++;
        const made = await createInternalCa({ issuer: 'internal', name: 'certflow Internal', key: KEY, clock: fixedClock('2030-01-01T00:00:00Z') });
        await new Promise((r) => setTimeout(r, 300)); // widen the window in which the other could race
        return made.record;
      };
      const [a, b] = await Promise.all([
        new PgInternalCaStore(first, () => kicks++).loadOrCreate('internal', create),
        new PgInternalCaStore(second, () => kicks++).loadOrCreate('internal', create),
      ]);

      expect(creations).toBe(1);
      expect(kicks).toBe(1);
      expect(a.rootPem).toBe(b.rootPem);
      expect(a.intermediateKey).toBe(b.intermediateKey);
      const outbox = await first.query(`SELECT subject, payload FROM outbox`);
      expect(outbox).toHaveLength(1);
      expect(outbox[0].subject).toBe('certflow.issuer.ca-published.v1');
      expect(outbox[0].payload.data).toEqual({ issuer: 'internal', roots: [a.rootPem], intermediates: [a.intermediatePem] });
    });
  });

  describe('when the CA exists', () => {
    it('returns it without creating or publishing anything', async () => {
      const create = jest.fn();
      const record = await new PgInternalCaStore(first).loadOrCreate('internal', create);
      expect(create).not.toHaveBeenCalled();
      expect(record.rootPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(await first.query(`SELECT count(*)::int AS n FROM outbox`)).toEqual([{ n: 1 }]);
    });
  });

  describe('when a CA stored before labelled key blobs is opened', () => {
    /** The v1 format: AES-256-GCM without associated data (made here, not by the code under test). */
    const v1Blob = (der: ArrayBuffer) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', KEY, iv);
      const ct = Buffer.concat([cipher.update(Buffer.from(der)), cipher.final()]);
      return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
    };

    it('rewrites its row with v2 blobs of the same keys, through the runtime database role', async () => {
      const made = (await createInternalCa({ issuer: 'legacy', name: 'Legacy', key: KEY, clock: fixedClock('2030-01-01T00:00:00Z') })).record;
      const rootDer = decryptPrivateKey(made.rootKey, KEY, caKeyLabel('legacy', 'root-key'));
      const issuingDer = decryptPrivateKey(made.intermediateKey, KEY, caKeyLabel('legacy', 'signing-key'));
      await first.query(
        `INSERT INTO ca_material (issuer, root_pem, root_key, intermediate_pem, intermediate_key, created_at) VALUES ('legacy', $1, $2, $3, $4, now())`,
        [made.rootPem, v1Blob(rootDer), made.intermediatePem, v1Blob(issuingDer)],
      );
      const adapter = new InternalCaAdapter({ issuer: 'legacy', caName: 'Legacy', key: KEY, leafDays: 30, clock: fixedClock('2030-01-02T00:00:00Z'), store: new PgInternalCaStore(second) });
      await adapter.start();

      const [row] = await first.query(`SELECT root_key, intermediate_key, root_pem, current_user AS role FROM ca_material WHERE issuer = 'legacy'`);
      expect(row.role).toMatch(/_ca_gateway_app$/);
      expect(row.root_key).toMatch(/^v2:raw::/);
      expect(row.intermediate_key).toMatch(/^v2:raw::/);
      expect(row.root_pem).toBe(made.rootPem);
      expect(Buffer.from(decryptPrivateKey(row.intermediate_key, KEY, caKeyLabel('legacy', 'signing-key')))).toEqual(Buffer.from(issuingDer));
      expect(Buffer.from(decryptPrivateKey(row.root_key, KEY, caKeyLabel('legacy', 'root-key')))).toEqual(Buffer.from(rootDer));
      expect(adapter.rootPem()).toBe(made.rootPem);
    });
  });
});
