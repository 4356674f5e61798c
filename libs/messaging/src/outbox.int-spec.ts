import { Controller, Inject, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { createEvent, defineEvent, type CloudEvent } from '@certflow/contracts';
import { DATA_SOURCE, openServiceDataSource, PersistenceModule } from '@certflow/persistence';
import { CreateMessagingTables1700000000000 } from './create-messaging-tables.migration';
import { FactProcessor, type FactBatch } from './facts/fact.processor';
import { FactPattern } from './facts/fact.pattern';
import type { Fact, FactHandler, Verdict } from './facts/fact.handler';
import { JetStreamPublisher } from './jetstream.publisher';
import { JetStreamServer } from './jetstream.server';
import { cleanUpStream, dropSchema, ObservedPublisher, readStream, sleep, waitFor } from './jetstream.test-kit';
import { MESSAGING_ENTITIES } from './messaging.entities';
import { MessagingModule, NATS_CONNECTION } from './messaging.module';
import { connectNats, ensureStream } from './nats.connection';
import type { NatsConnection } from './nats.types';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxRelay } from './outbox.relay';
import { enqueue } from './outbox.writer';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const run = randomBytes(4).toString('hex');
const schema = `test_messaging_${run}`;
const service = `test-outbox-${run}`;
const prefix = `certflow.test.${run}`;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const TestEvent = defineEvent('certflow.test.any.v1', z.object({ n: z.number() }), 'test');
const event = (subject: string, n: number): CloudEvent =>
  ({ ...createEvent(TestEvent, { n }, { source: 'certflow/test', subject: `req-${n}` }), type: subject }) as CloudEvent;

const dbOptions = () => ({ url: DATABASE_URL, schema, entities: MESSAGING_ENTITIES, migrations: [CreateMessagingTables1700000000000], poolSize: 4, logger: silent });
const startedAt = new Date();
let ds: DataSource;
let nc: NatsConnection;
let publisher: JetStreamPublisher;

const unpublished = async () => ds.getRepository(OutboxMessage).createQueryBuilder('o').where('o.publishedAt IS NULL').getCount();

jest.setTimeout(30_000);

beforeAll(async () => {
  ds = await openServiceDataSource(dbOptions());
  nc = await connectNats({ servers: NATS_URL, name: `test/${service}` });
  await ensureStream(nc);
  publisher = new JetStreamPublisher(nc);
});

afterAll(async () => {
  if (ds?.isInitialized) await ds.destroy();
  await dropSchema(DATABASE_URL, schema);
  if (nc) {
    await cleanUpStream(nc, { servicePrefix: service, subjectPrefix: prefix, since: startedAt }).catch(() => undefined);
    await nc.drain();
  }
});

beforeEach(async () => {
  await ds.query('DELETE FROM outbox');
});

describe('enqueue and OutboxRelay', () => {
  describe('when one transaction commits and another rolls back', () => {
    it('publishes the committed event, with Nats-Msg-Id = its id, and never the rolled-back one', async () => {
      const committed = event(`${prefix}.outbox.committed.v1`, 1);
      const rolledBack = event(`${prefix}.outbox.rolled-back.v1`, 2);
      await ds.transaction((m) => enqueue(m, committed));
      await expect(
        ds.transaction(async (m) => {
          await enqueue(m, rolledBack);
          throw new Error('business rule refused');
        }),
      ).rejects.toThrow('business rule refused');

      const relay = new OutboxRelay(ds, publisher, { pollMs: 50, logger: silent });
      relay.start();
      relay.kick();
      try {
        await waitFor('the relay to publish', async () => (await unpublished()) === 0);
      } finally {
        await relay.stop();
      }
      const stored = await readStream(nc, `${prefix}.outbox.>`);
      expect(stored.map((m) => ({ subject: m.subject, msgId: m.msgId }))).toEqual([{ subject: committed.type, msgId: committed.id }]);
      expect(JSON.parse(stored[0].body)).toEqual(committed);
      const rows = await ds.getRepository(OutboxMessage).find();
      expect(rows.map((r) => r.id)).toEqual([committed.id]);
      expect(rows[0].publishedAt).toBeInstanceOf(Date);
    });
  });

  describe('when the same event is enqueued twice', () => {
    it('keeps one row', async () => {
      const e = event(`${prefix}.twice.v1`, 3);
      await ds.transaction((m) => enqueue(m, e));
      await ds.transaction((m) => enqueue(m, e, event(`${prefix}.twice.v1`, 4)));
      expect(await ds.getRepository(OutboxMessage).count()).toBe(2);
    });
  });

  describe('when two relays drain the same outbox at once', () => {
    it('publishes every row exactly once, sharing the work', async () => {
      const subject = `${prefix}.parallel.v1`;
      const events = Array.from({ length: 300 }, (_, i) => event(subject, 100 + i));
      await ds.transaction((m) => enqueue(m, ...events));
      const p1 = new ObservedPublisher(nc);
      const p2 = new ObservedPublisher(nc);
      const r1 = new OutboxRelay(ds, p1, { batchSize: 40, logger: silent });
      const r2 = new OutboxRelay(ds, p2, { batchSize: 40, logger: silent });
      const drain = async (r: OutboxRelay) => {
        while ((await r.drainOnce()) > 0);
      };
      await Promise.all([drain(r1), drain(r2)]);

      expect(p1.calls.size).toBeGreaterThan(0);
      expect(p2.calls.size).toBeGreaterThan(0);
      const perId = events.map((e) => (p1.calls.get(e.id) ?? 0) + (p2.calls.get(e.id) ?? 0));
      expect(perId.every((n) => n === 1)).toBe(true);
      expect(await unpublished()).toBe(0);
      expect((await readStream(nc, subject)).length).toBe(300);
    });
  });

  describe('when a publish fails', () => {
    it('leaves that row for the next round and marks the others', async () => {
      const [a, b] = [event(`${prefix}.flaky-nats.v1`, 500), event(`${prefix}.flaky-nats.v1`, 501)];
      await ds.transaction((m) => enqueue(m, a, b));
      const p = new ObservedPublisher(nc);
      p.failOnce.add(a.id);
      const relay = new OutboxRelay(ds, p, { logger: silent });
      expect(await relay.drainOnce()).toBe(1);
      expect(await unpublished()).toBe(1);
      expect(await relay.drainOnce()).toBe(1);
      expect(await unpublished()).toBe(0);
      expect((await readStream(nc, `${prefix}.flaky-nats.v1`)).map((m) => m.msgId).sort()).toEqual([a.id, b.id].sort());
    });
  });

  describe('when published rows are older than the retention', () => {
    it('deletes them and keeps the unpublished ones', async () => {
      const [old, waiting] = [event(`${prefix}.retention.v1`, 600), event(`${prefix}.retention.v1`, 601)];
      await ds.transaction((m) => enqueue(m, old, waiting));
      await ds.query(`UPDATE outbox SET published_at = now() - interval '2 hours' WHERE id = $1`, [old.id]);
      const relay = new OutboxRelay(ds, publisher, { logger: silent });
      expect(await relay.deletePublished()).toBe(1);
      expect((await ds.getRepository(OutboxMessage).find()).map((r) => r.id)).toEqual([waiting.id]);
    });
  });
});

// The whole wiring as a service uses it: consume in batches, apply once, publish through the outbox.
const IN = `${prefix}.wiring.in.v1`;
const OUT = `${prefix}.wiring.out.v1`;
const effects: string[] = [];
const wiringDeliveries: number[] = [];

@Controller()
class WiringConsumer implements FactHandler<{ n: number }> {
  readonly consumer = `${service}.wiring`;
  readonly event = defineEvent(IN, z.object({ n: z.number() }), 'test');

  constructor(@Inject(FactProcessor) private readonly facts: FactProcessor) {}

  @FactPattern(defineEvent(IN, z.object({ n: z.number() }), 'test'))
  async onIn(@Payload() batch: FactBatch) {
    wiringDeliveries.push(...batch.deliveries.map((d) => d.deliveryCount));
    const outcomes = await this.facts.process(batch, this);
    // Simulates a crash after the commit but before the ack: JetStream redelivers the event.
    return batch.deliveries.map((d, i) => (d.deliveryCount === 1 ? { action: 'fail' as const, error: new Error('crashed before ack') } : outcomes[i]));
  }

  async decide(facts: readonly Fact<{ n: number }>[]): Promise<Verdict[]> {
    return facts.map((f) => {
      effects.push(f.event.id);
      return { kind: 'apply', publish: [event(OUT, f.event.data.n * 10)] };
    });
  }
}

@Module({
  imports: [
    PersistenceModule.forService(dbOptions),
    MessagingModule.forService(() => ({ service, natsUrl: NATS_URL, logger: silent })),
  ],
  controllers: [WiringConsumer],
})
class WiringModule {}

describe('MessagingModule with PersistenceModule and JetStreamServer', () => {
  describe('when an event is redelivered after its handler committed', () => {
    it('applies it once and publishes the resulting event once, through the outbox', async () => {
      const app: INestMicroservice = await NestFactory.createMicroservice(WiringModule, {
        strategy: new JetStreamServer({ servers: NATS_URL, service, backoffMs: [20], logger: silent }),
        logger: false,
      });
      await app.listen();
      const moduleNc = app.get<NatsConnection>(NATS_CONNECTION);
      const moduleDs = app.get<DataSource>(DATA_SOURCE);
      try {
        const input = event(IN, 7);
        await publisher.publish(input);
        const out = await waitFor('the outgoing event', async () => {
          const stored = await readStream(nc, OUT);
          return stored.length > 0 && stored;
        });
        await waitFor('the redelivery', () => wiringDeliveries.length === 2);
        await sleep(300);
        expect(wiringDeliveries).toEqual([1, 2]);
        expect(effects).toEqual([input.id]);
        expect(out).toHaveLength(1);
        expect((JSON.parse(out[0].body) as CloudEvent<string, { n: number }>).data).toEqual({ n: 70 });
        const consumer = `${service}.wiring`;
        const inbox = await moduleDs.query('SELECT consumer, event_id FROM inbox WHERE consumer = $1', [consumer]);
        expect(inbox).toEqual([{ consumer, event_id: input.id }]);
      } finally {
        await app.close();
      }
      expect(moduleNc.isClosed()).toBe(true);
      expect(moduleDs.isInitialized).toBe(false);
    });
  });
});
