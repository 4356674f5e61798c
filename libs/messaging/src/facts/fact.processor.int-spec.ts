import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { z } from 'zod';
import { createEvent, defineEvent, type CloudEvent } from '@certflow/contracts';
import { openServiceDataSource } from '@certflow/persistence';
import { CreateMessagingTables1700000000000 } from '../create-messaging-tables.migration';
import { dropSchema } from '../jetstream.test-kit';
import { MESSAGING_ENTITIES } from '../messaging.entities';
import type { Fact, FactHandler, FactTx, Verdict } from './fact.handler';
import { FactProcessor, type FactBatch } from './fact.processor';
import { defineTable, insertRow, updateRow, upsertRow } from './table';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const schema = `test_facts_${randomBytes(4).toString('hex')}`;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A fact about an account: add to its balance, once; `poison` makes its write fail. */
const Deposited = defineEvent('certflow.test.deposited.v1', z.object({ account: z.string(), amount: z.number().int(), tags: z.array(z.string()), poison: z.boolean().optional() }), 'test');

interface Account {
  id: string;
  balance: number;
  tags: string[] | null;
  meta: Record<string, unknown> | null;
  updatedAt: Date;
  frozen: boolean;
}
const ACCOUNTS = defineTable<Account>(
  'account',
  {
    id: { name: 'id', type: 'text' },
    balance: { name: 'balance', type: 'int' },
    tags: { name: 'tags', type: 'text[]' },
    meta: { name: 'meta', type: 'jsonb' },
    updatedAt: { name: 'updated_at', type: 'timestamptz' },
    frozen: { name: 'frozen', type: 'bool' },
  },
  ['id'],
);
interface Entry {
  eventId: string;
  account: string;
  amount: number;
}
const ENTRIES = defineTable<Entry>('entry', { eventId: { name: 'event_id', type: 'uuid' }, account: { name: 'account', type: 'text' }, amount: { name: 'amount', type: 'int' } }, ['eventId']);

// Run by the schema's owner, as a service's migrations are; the test then runs as the runtime role.
class CreateTestTables1700000000001 implements MigrationInterface {
  name = 'CreateTestTables1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE account (id text PRIMARY KEY, balance int NOT NULL, tags text[], meta jsonb, updated_at timestamptz NOT NULL, frozen bool NOT NULL)`);
    await q.query(`CREATE TABLE entry (event_id uuid PRIMARY KEY, account text NOT NULL, amount int NOT NULL)`);
  }
  async down(): Promise<void> {}
}

const published: CloudEvent[][] = [];
let ds: DataSource;
let processor: FactProcessor;
const at = new Date('2026-12-03T12:00:00.000Z');

/** Reads balances under lock, folds the batch's facts in order, and writes each account once per fact. */
class DepositHandler implements FactHandler<z.infer<typeof Deposited.schema>> {
  readonly consumer = `test.deposits.${schema}`;
  readonly event = Deposited;
  batches: number[] = [];
  async decide(facts: readonly Fact<z.infer<typeof Deposited.schema>>[], tx: FactTx): Promise<Verdict[]> {
    this.batches.push(facts.length);
    const ids = [...new Set(facts.map((f) => f.event.data.account))].sort();
    const rows = await tx.query<{ id: string; balance: number }>('SELECT id, balance FROM account WHERE id = ANY ($1) ORDER BY id FOR UPDATE', [ids]);
    const balance = new Map(rows.map((r) => [r.id, r.balance]));
    return facts.map((f): Verdict => {
      const { account, amount, tags, poison } = f.event.data;
      if (amount === 0) return { kind: 'skip' };
      if (amount < 0 && !balance.has(account)) return { kind: 'retryLater', reason: `account ${account} not opened yet`, delayMs: 10 };
      const next = (balance.get(account) ?? 0) + amount;
      const opened = balance.has(account);
      balance.set(account, next);
      const out = createEvent(Deposited, f.event.data, { source: 'certflow/test', subject: account, id: randomUUID() });
      return {
        kind: 'apply',
        writes: [
          opened
            ? updateRow(ACCOUNTS, { id: account, balance: next, updatedAt: at, tags }, ['balance', 'updatedAt', 'tags'])
            : upsertRow(ACCOUNTS, { id: account, balance: next, tags, meta: { opened: f.event.id }, updatedAt: at, frozen: false }),
          insertRow(ENTRIES, { eventId: poison ? 'not-a-uuid' : f.event.id, account, amount }),
        ],
        publish: [out],
      };
    });
  }
}

const deposit = (account: string, amount: number, extra: { tags?: string[]; poison?: boolean } = {}) =>
  createEvent(Deposited, { account, amount, tags: extra.tags ?? [], ...(extra.poison ? { poison: true } : {}) }, { source: 'certflow/test', subject: account });
const batchOf = (events: unknown[], deliveryCount = 1): FactBatch => ({ deliveries: events.map((payload) => ({ payload: JSON.parse(JSON.stringify(payload)), deliveryCount })) });
const balances = async () => Object.fromEntries((await ds.query('SELECT id, balance FROM account ORDER BY id')).map((r: { id: string; balance: number }) => [r.id, r.balance]));

beforeAll(async () => {
  ds = await openServiceDataSource({ url: DATABASE_URL, schema, entities: MESSAGING_ENTITIES, migrations: [CreateMessagingTables1700000000000, CreateTestTables1700000000001], poolSize: 4, logger: silent });
  processor = new FactProcessor(ds, { publishCommitted: (events) => published.push([...events]) }, silent);
});

afterAll(async () => {
  if (ds?.isInitialized) await ds.destroy();
  await dropSchema(DATABASE_URL, schema);
});

beforeEach(async () => {
  published.length = 0;
  await ds.query('DELETE FROM account; DELETE FROM entry; DELETE FROM inbox; DELETE FROM outbox');
});

describe('FactProcessor', () => {
  it('applies a batch in one transaction: rows of every type, the outbox in order, then publishes what it committed', async () => {
    const h = new DepositHandler();
    const events = [deposit('a', 5, { tags: ['x', 'y'] }), deposit('b', 7), deposit('a', 3, { tags: ['z'] })];
    const outcomes = await processor.process(batchOf(events), h);
    expect(outcomes.map((o) => o.action)).toEqual(['ack', 'ack', 'ack']);
    expect(h.batches).toEqual([3]);
    expect(await balances()).toEqual({ a: 8, b: 7 });
    const [a] = await ds.query(`SELECT tags, meta, updated_at, frozen FROM account WHERE id = 'a'`);
    expect(a).toEqual({ tags: ['z'], meta: { opened: events[0].id }, updated_at: at, frozen: false });
    expect(Number((await ds.query('SELECT count(*) AS n FROM entry'))[0].n)).toBe(3);
    const outbox = await ds.query('SELECT id, subject, payload FROM outbox ORDER BY seq');
    expect(published).toHaveLength(1);
    expect(outbox.map((r: { id: string }) => r.id)).toEqual(published[0].map((e) => e.id));
    expect(outbox[0].payload).toEqual(JSON.parse(JSON.stringify(published[0][0])));
  });

  it("gives each published event the correlation id of the fact that led to it", async () => {
    const h = new DepositHandler();
    const traced = { ...deposit('a', 1), correlationid: 'call-1' };
    const untraced = deposit('b', 1);
    await processor.process(batchOf([traced, untraced]), h);
    expect(published[0].map((e) => e.correlationid)).toEqual(['call-1', untraced.id]);
    const stored = await ds.query('SELECT payload FROM outbox ORDER BY seq');
    expect(stored.map((r: { payload: CloudEvent }) => r.payload.correlationid)).toEqual(['call-1', untraced.id]);
  });

  it('applies each event id once, however often it is delivered, in one batch or in the next', async () => {
    const h = new DepositHandler();
    const e = deposit('a', 5);
    await processor.process(batchOf([e, e]), h);
    const again = await processor.process(batchOf([e], 2), h);
    expect(again).toEqual([{ action: 'ack' }]);
    expect(await balances()).toEqual({ a: 5 });
    expect(h.batches).toEqual([1]); // the duplicate in the batch and the redelivery never reach decide
  });

  it('records a skipped fact as handled and writes nothing for it', async () => {
    const h = new DepositHandler();
    const e = deposit('a', 0);
    expect(await processor.process(batchOf([e]), h)).toEqual([{ action: 'ack' }]);
    await processor.process(batchOf([e], 2), h);
    expect(h.batches).toEqual([1]);
    expect(await balances()).toEqual({});
  });

  it('leaves a "retry later" fact unclaimed, so its redelivery is decided again, while the rest of the batch commits', async () => {
    const h = new DepositHandler();
    const early = deposit('c', -2);
    const outcomes = await processor.process(batchOf([early, deposit('a', 1)]), h);
    expect(outcomes).toEqual([{ action: 'retry', delayMs: 10, reason: 'account c not opened yet' }, { action: 'ack' }]);
    expect(await balances()).toEqual({ a: 1 });
    await processor.process(batchOf([deposit('c', 10)]), h);
    expect(await processor.process(batchOf([early], 2), h)).toEqual([{ action: 'ack' }]);
    expect(await balances()).toEqual({ a: 1, c: 8 });
  });

  it('when one fact breaks the batch transaction, applies the others alone and fails only that one', async () => {
    const h = new DepositHandler();
    const outcomes = await processor.process(batchOf([deposit('a', 1), deposit('b', 2, { poison: true }), deposit('c', 3)]), h);
    expect(outcomes.map((o) => o.action)).toEqual(['ack', 'fail', 'ack']);
    expect(await balances()).toEqual({ a: 1, c: 3 });
    // Nothing of the failed fact is kept: not its row, not its inbox claim, not its event.
    expect(Number((await ds.query('SELECT count(*) AS n FROM inbox'))[0].n)).toBe(2);
    expect(Number((await ds.query('SELECT count(*) AS n FROM outbox'))[0].n)).toBe(2);
  });

  it('fails an event that does not match its schema without touching the others', async () => {
    const h = new DepositHandler();
    const bad = { ...deposit('a', 1), data: { account: 'a', amount: 'lots' } };
    const outcomes = await processor.process(batchOf([bad, deposit('b', 2)]), h);
    expect(outcomes[0].action).toBe('fail');
    expect(outcomes[1]).toEqual({ action: 'ack' });
    expect(await balances()).toEqual({ b: 2 });
  });
});
