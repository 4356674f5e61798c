/**
 * Integration-test support: a service started for real (its own PostgreSQL database, real NATS
 * JetStream) under a unique name, and a log of the events on the stream since the test began.
 * Used only by *.int-spec.ts files.
 */
import { randomBytes } from 'node:crypto';
import type { INestApplication, INestMicroservice, Type } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@certflow/messaging';
import { Client } from 'pg';
import { STREAM_NAME, type CloudEvent, type EventDefinition } from '@certflow/contracts';
import { connectNats, consumerName, ensureStream, JetStreamPublisher } from '@certflow/messaging';
import { createLogger, startService } from '@certflow/runtime';

export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A unique suffix for this run's database, service and consumer names. */
export function runId(): string {
  return randomBytes(5).toString('hex');
}

export function testDatabaseUrl(id: string): string {
  return ADMIN_DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/certflow_test_${id}$1`);
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * The durable consumers a freshly named service would create start at the beginning of the shared
 * stream and would replay every event earlier runs left there. Creating them first, delivering only
 * new events, keeps the test to its own events; the service then finds and keeps them.
 */
export async function precreateConsumers(nc: NatsConnection, service: string, subjects: string[]): Promise<string[]> {
  await ensureStream(nc);
  const jsm = await jetstreamManager(nc);
  const names = subjects.map((s) => consumerName(service, s));
  for (const [i, subject] of subjects.entries()) {
    await jsm.consumers.add(STREAM_NAME, { durable_name: names[i], filter_subject: subject, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
  }
  return names;
}

export async function deleteConsumers(nc: NatsConnection, names: string[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const name of names) await jsm.consumers.delete(STREAM_NAME, name).catch(() => undefined);
}

/** Every certflow event published since `start()`, read from JetStream by an ordered consumer. */
export class EventLog {
  readonly events: CloudEvent[] = [];
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;

  constructor(private readonly nc: NatsConnection) {}

  async start(since: Date): Promise<void> {
    const consumer = await jetstream(this.nc).consumers.get(STREAM_NAME, {
      filter_subjects: 'certflow.>',
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
    });
    this.messages = await consumer.consume();
    const messages = this.messages;
    this.loop = (async () => {
      for await (const m of messages) {
        try {
          this.events.push(m.json<CloudEvent>());
        } catch {
          // not an envelope: not ours
        }
      }
    })();
  }

  /** Events of `definition` whose data satisfies `where`. */
  of<T>(definition: EventDefinition<string, T>, where: (data: T) => boolean = () => true): CloudEvent<string, T>[] {
    return this.events.filter((e) => e.type === definition.subject && where(e.data as T)) as CloudEvent<string, T>[];
  }

  /** The first such event, waiting up to `timeoutMs` for it. */
  async waitFor<T>(definition: EventDefinition<string, T>, where: (data: T) => boolean, timeoutMs = 10_000): Promise<CloudEvent<string, T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(definition, where)[0];
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${definition.subject} matching the test's filter within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
  }
}

/**
 * Waits until `service`'s consumer of `subject` has settled (acked or given up on) every message up
 * to stream sequence `seq`: the way to know a delivery that leaves no trace was handled.
 */
export async function waitUntilConsumed(nc: NatsConnection, service: string, subject: string, seq: number, timeoutMs = 10_000): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await jsm.consumers.info(STREAM_NAME, consumerName(service, subject));
    if (info.ack_floor.stream_seq >= seq) return;
    if (Date.now() > deadline) throw new Error(`${consumerName(service, subject)} did not get past stream sequence ${seq} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Publishes an envelope as a second, distinct message (a redelivery as the consumer sees it). */
export async function publishAgain(nc: NatsConnection, event: CloudEvent): Promise<number> {
  const ack = await jetstream(nc).publish(event.type, JSON.stringify(event), { msgID: `${event.id}#again-${runId()}` });
  return ack.seq;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A service under test, with a NATS connection of the test's own to publish and observe. */
export interface RunningService {
  app: INestApplication | INestMicroservice;
  service: string;
  databaseUrl: string;
  nc: NatsConnection;
  publisher: JetStreamPublisher;
  log: EventLog;
  close(): Promise<void>;
}

/**
 * Starts `module` as `startService` does in main.ts, under `service` (unique per run), on a new
 * database. `subjects` are the events the service consumes (their consumers are pre-created).
 */
export async function startTestService(opts: { service: string; databaseUrl: string; module: unknown; subjects: string[] }): Promise<RunningService> {
  const since = new Date(Date.now() - 1000);
  const nc = await connectNats({ servers: TEST_NATS_URL, name: `${opts.service}/test` });
  const consumers = await precreateConsumers(nc, opts.service, opts.subjects);
  const log = new EventLog(nc);
  await log.start(since);
  let app: INestApplication | INestMicroservice | undefined;
  try {
    app = await startService({
      service: opts.service,
      module: opts.module as Type<unknown>,
      natsUrl: TEST_NATS_URL,
      logger: createLogger(opts.service, process.env.CERTFLOW_TEST_LOG_LEVEL ?? 'warn'),
    });
  } catch (err) {
    await log.stop();
    await deleteConsumers(nc, consumers);
    await nc.close();
    throw err;
  }
  const running = app;
  return {
    app: running,
    service: opts.service,
    databaseUrl: opts.databaseUrl,
    nc,
    publisher: new JetStreamPublisher(nc),
    log,
    async close() {
      await running.close();
      await log.stop();
      await deleteConsumers(nc, consumers);
      await nc.drain().catch(() => nc.close());
      await dropDatabase(opts.databaseUrl).catch(() => undefined);
    },
  };
}
