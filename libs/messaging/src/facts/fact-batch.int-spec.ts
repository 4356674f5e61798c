import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { jetstream } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { z } from 'zod';
import { createEvent, DeadLetterV1, defineEvent, type CloudEvent } from '@certflow/contracts';
import { openServiceDataSource } from '@certflow/persistence';
import { CreateMessagingTables1700000000000 } from '../create-messaging-tables.migration';
import { JetStreamPublisher } from '../jetstream.publisher';
import { JetStreamServer } from '../jetstream.server';
import { cleanUpStream, dropSchema, sleep, waitFor } from '../jetstream.test-kit';
import { MESSAGING_ENTITIES } from '../messaging.entities';
import { connectNats, ensureStream } from '../nats.connection';
import type { NatsConnection } from '../nats.types';
import type { Fact, FactHandler, FactTx, Verdict } from './fact.handler';
import { FactPattern } from './fact.pattern';
import { FactProcessor, type FactBatch } from './fact.processor';
import { defineTable, insertRow } from './table';

// The whole shape against the real NATS and PostgreSQL: JetStream pull in batches → FactProcessor →
// one transaction → ack, nak or dead letter.
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const run = randomBytes(4).toString('hex');
const service = `test-facts-${run}`;
const schema = `test_fact_batch_${run}`;
const subject = `certflow.test.${run}.counted.v1`;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** `mode` steers the handler: fail twice, fail always, or wait for `after` to be counted first. */
const Counted = defineEvent(subject, z.object({ n: z.number().int(), mode: z.enum(['ok', 'flaky', 'broken', 'after']).default('ok'), after: z.number().int().optional() }), 'test');
type CountedData = z.infer<typeof Counted.schema>;
const COUNTED = defineTable<{ n: number; delivery: number }>('counted', { n: { name: 'n', type: 'int' }, delivery: { name: 'delivery', type: 'int' } }, ['n']);

class CreateCounted1700000000001 implements MigrationInterface {
  name = 'CreateCounted1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE counted (n int PRIMARY KEY, delivery int NOT NULL)');
  }
  async down(): Promise<void> {}
}

let ds: DataSource;
let processor: FactProcessor;
const batches: number[] = [];

@Controller()
class CountedConsumer implements FactHandler<CountedData> {
  readonly consumer = `${service}.counted`;
  readonly event = Counted;

  @FactPattern(Counted)
  onFacts(@Payload() batch: FactBatch) {
    return processor.process(batch, this);
  }

  async decide(facts: readonly Fact<CountedData>[], tx: FactTx): Promise<Verdict[]> {
    batches.push(facts.length);
    const wanted = facts.filter((f) => f.event.data.after !== undefined).map((f) => f.event.data.after!);
    const present = new Set((await tx.query<{ n: number }>('SELECT n FROM counted WHERE n = ANY ($1)', [wanted])).map((r) => r.n));
    return facts.map((f): Verdict => {
      const { n, mode, after } = f.event.data;
      if (mode === 'broken' || (mode === 'flaky' && f.deliveryCount < 3)) throw new Error(`cannot count ${n} (delivery ${f.deliveryCount})`);
      if (mode === 'after' && !present.has(after!)) return { kind: 'retryLater', reason: `${after} is not counted yet`, delayMs: 300 };
      return { kind: 'apply', writes: [insertRow(COUNTED, { n, delivery: f.deliveryCount })] };
    });
  }
}
@Module({ controllers: [CountedConsumer] })
class CountedModule {}

let nc: NatsConnection;
let publisher: JetStreamPublisher;
let app: INestMicroservice | undefined;
const startedAt = new Date();
const deadLetters: CloudEvent<string, { originalId?: string; error: string; deliveries: number }>[] = [];
const event = (n: number, data: Partial<CountedData> = {}) => createEvent(Counted, { n, mode: 'ok', ...data }, { source: 'certflow/test', subject: `n-${n}` });
const counted = async (): Promise<Map<number, number>> => new Map((await ds.query('SELECT n, delivery FROM counted')).map((r: { n: number; delivery: number }) => [r.n, r.delivery]));

async function startApp(): Promise<void> {
  const strategy = new JetStreamServer({ servers: NATS_URL, service, maxDeliver: 4, backoffMs: [20, 50], ackWaitMs: 5_000, concurrency: 64, batchSize: 32, logger: silent });
  app = await NestFactory.createMicroservice(CountedModule, { strategy, logger: false });
  await app.listen();
}

jest.setTimeout(30_000);

beforeAll(async () => {
  ds = await openServiceDataSource({ url: DATABASE_URL, schema, entities: MESSAGING_ENTITIES, migrations: [CreateMessagingTables1700000000000, CreateCounted1700000000001], poolSize: 4, logger: silent });
  processor = new FactProcessor(ds, { publishCommitted() {} }, silent);
  nc = await connectNats({ servers: NATS_URL, name: `test/${service}` });
  await ensureStream(nc);
  publisher = new JetStreamPublisher(nc);
  nc.subscribe(DeadLetterV1.subject, {
    callback: (err, msg) => {
      if (err) return;
      const dl = JSON.parse(msg.string());
      if (String(dl.data.consumer).startsWith(service)) deadLetters.push(dl);
    },
  });
  await nc.flush();
});

afterAll(async () => {
  await app?.close();
  if (ds?.isInitialized) await ds.destroy();
  await dropSchema(DATABASE_URL, schema);
  if (nc) {
    await cleanUpStream(nc, { servicePrefix: service, subjectPrefix: `certflow.test.${run}`, since: startedAt }).catch(() => undefined);
    await nc.drain();
  }
});

describe('a @FactPattern consumer over JetStream', () => {
  it('catches up a backlog in batches, each event applied once, and leaves nothing pending', async () => {
    const backlog = Array.from({ length: 300 }, (_, i) => event(i));
    await Promise.all(backlog.map((e) => publisher.publish(e)));
    await startApp();
    await waitFor('the backlog', async () => (await counted()).size === 300);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(300);
    expect(Number((await ds.query(`SELECT count(*) AS n FROM inbox WHERE consumer = $1`, [`${service}.counted`]))[0].n)).toBe(300);
  });

  it('retries a fact that fails, alone, while the facts beside it are applied on their first delivery', async () => {
    const flaky = event(1000, { mode: 'flaky' });
    const others = [event(1001), event(1002)];
    await Promise.all([flaky, ...others].map((e) => publisher.publish(e)));
    await waitFor('the flaky fact', async () => (await counted()).has(1000));
    const rows = await counted();
    expect(rows.get(1000)).toBe(3);
    expect([rows.get(1001), rows.get(1002)]).toEqual([1, 1]);
  });

  it('dead-letters a fact that fails on every delivery, with its error, and applies nothing of it', async () => {
    const broken = event(2000, { mode: 'broken' });
    await publisher.publish(broken);
    await publisher.publish(event(2001));
    const dl = await waitFor('the dead letter', () => deadLetters.find((d) => d.data.originalId === broken.id));
    expect(dl.data.deliveries).toBe(4);
    expect(dl.data.error).toContain('cannot count 2000 (delivery 4)');
    expect((await counted()).has(2000)).toBe(false);
    expect((await counted()).has(2001)).toBe(true);
  });

  it('redelivers a fact that cannot be decided yet, and applies it once what it needs is there', async () => {
    const early = event(3001, { mode: 'after', after: 3000 });
    await publisher.publish(early);
    await sleep(200);
    expect((await counted()).has(3001)).toBe(false);
    await publisher.publish(event(3000));
    await waitFor('the early fact', async () => (await counted()).has(3001));
    expect((await counted()).get(3001)).toBeGreaterThan(1);
  });

  it('dead-letters a body that is not JSON at once', async () => {
    const js = jetstream(nc);
    await js.publish(subject, 'not json {', { msgID: `not-json-${run}` });
    const dl = await waitFor('the dead letter', () => deadLetters.find((d) => d.data.originalId === `not-json-${run}`));
    expect(dl.data.deliveries).toBe(1);
    expect(dl.data.error).toContain('body is not JSON');
  });
});
