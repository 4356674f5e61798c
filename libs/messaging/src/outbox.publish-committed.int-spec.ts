import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { createEvent, defineEvent, type CloudEvent } from '@certflow/contracts';
import { openServiceDataSource } from '@certflow/persistence';
import { CreateMessagingTables1700000000000 } from './create-messaging-tables.migration';
import { JetStreamPublisher } from './jetstream.publisher';
import { cleanUpStream, dropSchema, ObservedPublisher, readStream, waitFor } from './jetstream.test-kit';
import { MESSAGING_ENTITIES } from './messaging.entities';
import { connectNats, ensureStream } from './nats.connection';
import type { NatsConnection } from './nats.types';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxRelay } from './outbox.relay';
import { enqueue } from './outbox.writer';

// OutboxRelay.publishCommitted against real PostgreSQL and NATS: events published right after the
// commit that stored them, marked a moment later; rounds pick up only what that missed.

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/certflow';
const run = randomBytes(4).toString('hex');
const schema = `test_eager_${run}`;
const prefix = `certflow.test.${run}`;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const TestEvent = defineEvent('certflow.test.any.v1', z.object({ n: z.number() }), 'test');
const event = (n: number): CloudEvent => ({ ...createEvent(TestEvent, { n }, { source: 'certflow/test', subject: `req-${n}` }), type: `${prefix}.eager.v1` }) as CloudEvent;

const startedAt = new Date();
let ds: DataSource;
let nc: NatsConnection;

const publishedAt = async (id: string) => (await ds.getRepository(OutboxMessage).findOneByOrFail({ id })).publishedAt;
const inStream = async (id: string) => (await readStream(nc, `${prefix}.>`)).filter((m) => m.msgId === id).length;

/** A relay whose timed rounds never come during a test: only what the test does publishes. */
async function startedRelay(publisher: JetStreamPublisher, opts: { graceMs?: number; markDelayMs?: number; pollMs?: number } = {}) {
  const relay = new OutboxRelay(ds, publisher, { pollMs: 60_000, logger: silent, ...opts });
  relay.start();
  // The round that start() runs must be over, or it could publish the test's rows itself.
  await relay.settled();
  return relay;
}

jest.setTimeout(30_000);

beforeAll(async () => {
  ds = await openServiceDataSource({ url: DATABASE_URL, schema, entities: MESSAGING_ENTITIES, migrations: [CreateMessagingTables1700000000000], poolSize: 4, logger: silent });
  nc = await connectNats({ servers: NATS_URL, name: `test/eager-${run}` });
  await ensureStream(nc);
});

afterAll(async () => {
  if (ds?.isInitialized) await ds.destroy();
  await dropSchema(DATABASE_URL, schema);
  if (nc) {
    await cleanUpStream(nc, { servicePrefix: `test-eager-${run}`, subjectPrefix: prefix, since: startedAt }).catch(() => undefined);
    await nc.drain();
  }
});

beforeEach(async () => {
  await ds.query('DELETE FROM outbox');
});

describe('OutboxRelay.publishCommitted', () => {
  describe('after a commit that stored an event', () => {
    it('publishes it once, without waiting for a round, and marks its row published', async () => {
      const publisher = new ObservedPublisher(nc);
      const relay = await startedRelay(publisher, { markDelayMs: 20 });
      try {
        const e = event(1);
        await ds.transaction((m) => enqueue(m, e));
        relay.publishCommitted([e]);
        await waitFor('the row to be marked', async () => (await publishedAt(e.id)) !== null);
        expect(await inStream(e.id)).toBe(1);
        expect(publisher.calls.get(e.id)).toBe(1);
      } finally {
        await relay.stop();
      }
    });
  });

  describe('when the publish fails', () => {
    it('leaves the row unpublished, and a timed round publishes it after the grace', async () => {
      const publisher = new ObservedPublisher(nc);
      const relay = await startedRelay(publisher, { pollMs: 100, graceMs: 300 });
      try {
        const e = event(2);
        await ds.transaction((m) => enqueue(m, e));
        publisher.failOnce.add(e.id);
        relay.publishCommitted([e]);
        await waitFor('a round to publish it', async () => (await publishedAt(e.id)) !== null);
        expect(publisher.calls.get(e.id)).toBe(2);
        expect(await inStream(e.id)).toBe(1);
      } finally {
        await relay.stop();
      }
    });
  });

  describe('when a round runs while this process is still publishing an event', () => {
    it('skips that event: it is published once, and marked by the eager path', async () => {
      const publisher = new ObservedPublisher(nc);
      const relay = await startedRelay(publisher, { markDelayMs: 20 });
      let release!: () => void;
      try {
        const e = event(3);
        publisher.held.set(e.id, new Promise<void>((r) => (release = r)));
        await ds.transaction((m) => enqueue(m, e));
        relay.publishCommitted([e]);
        expect(await relay.drainOnce(0)).toBe(0);
        expect(await publishedAt(e.id)).toBeNull();
        release();
        await waitFor('the row to be marked', async () => (await publishedAt(e.id)) !== null);
        expect(publisher.calls.get(e.id)).toBe(1);
      } finally {
        release?.();
        await relay.stop();
      }
    });
  });

  describe('when the relay stops before the marks went out', () => {
    it('writes them on stop, so the next start does not publish the events again', async () => {
      const publisher = new ObservedPublisher(nc);
      const relay = await startedRelay(publisher, { markDelayMs: 60_000 });
      const e = event(4);
      await ds.transaction((m) => enqueue(m, e));
      relay.publishCommitted([e]);
      await waitFor('the publish', async () => (await inStream(e.id)) === 1);
      expect(await publishedAt(e.id)).toBeNull();
      await relay.stop();
      expect(await publishedAt(e.id)).toBeInstanceOf(Date);
    });
  });
});

describe('OutboxRelay.drainOnce(minAgeMs)', () => {
  it('takes only rows older than minAgeMs; 0 takes every unpublished row', async () => {
    const old = event(5);
    const fresh = event(6);
    await ds.transaction((m) => enqueue(m, old, fresh));
    await ds.query(`UPDATE outbox SET created_at = now() - interval '1 hour' WHERE id = $1`, [old.id]);
    const relay = new OutboxRelay(ds, new JetStreamPublisher(nc), { logger: silent });
    expect(await relay.drainOnce(60_000)).toBe(1);
    expect(await publishedAt(old.id)).toBeInstanceOf(Date);
    expect(await publishedAt(fresh.id)).toBeNull();
    expect(await relay.drainOnce(0)).toBe(1);
    expect(await publishedAt(fresh.id)).toBeInstanceOf(Date);
  });
});

describe('OutboxRelay.settled()', () => {
  it('resolves after the round start() runs has published what it found', async () => {
    const left = event(7);
    await ds.transaction((m) => enqueue(m, left));
    const publisher = new ObservedPublisher(nc);
    const relay = new OutboxRelay(ds, publisher, { pollMs: 60_000, logger: silent });
    relay.start();
    try {
      await relay.settled();
      // No waiting here: the start round must be over, its row published and marked.
      expect(publisher.calls.get(left.id)).toBe(1);
      expect(await publishedAt(left.id)).toBeInstanceOf(Date);
    } finally {
      await relay.stop();
    }
  });
});
