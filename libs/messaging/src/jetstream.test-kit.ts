// Helpers for this library's integration specs (not exported from the package): read what the
// stream really stored, wait for a condition, observe publishes, and remove what a test run left in
// the shared stream and database.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import { JetStreamPublisher } from './jetstream.publisher';
import { STREAM_NAME } from '@certflow/contracts';
import { DeadLetterV1 } from '@certflow/contracts';
import { nanos, type NatsConnection } from './nats.types';

/** One message as stream `CERTFLOW` stored it. */
export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  body: string;
}

/** Every message stored under `filter` (one subject or a single wildcard filter), oldest first. */
export async function readStream(nc: NatsConnection, filter: string, opts: { since?: Date } = {}): Promise<StoredMessage[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.add(STREAM_NAME, {
    filter_subject: filter,
    ack_policy: AckPolicy.None,
    ...(opts.since
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: opts.since.toISOString() }
      : { deliver_policy: DeliverPolicy.All }),
    inactive_threshold: nanos(30_000),
  });
  try {
    const consumer = await jetstream(nc).consumers.get(STREAM_NAME, info.name);
    const out: StoredMessage[] = [];
    while (out.length < info.num_pending) {
      const before = out.length;
      const batch = await consumer.fetch({ max_messages: info.num_pending - out.length, expires: 2_000 });
      for await (const m of batch) {
        out.push({ seq: m.seq, subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') || undefined, body: m.string() });
      }
      if (out.length === before) break;
    }
    return out;
  } finally {
    await jsm.consumers.delete(STREAM_NAME, info.name).catch(() => undefined);
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Removes a test run's traces from the shared stream: its durable consumers (named `<service>…`),
 * its messages under `subjectPrefix.>`, and the dead letters its consumers published.
 */
export async function cleanUpStream(nc: NatsConnection, opts: { servicePrefix: string; subjectPrefix: string; since: Date }): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for await (const c of jsm.consumers.list(STREAM_NAME)) {
    if (c.name.startsWith(opts.servicePrefix)) await jsm.consumers.delete(STREAM_NAME, c.name).catch(() => undefined);
  }
  await jsm.streams.purge(STREAM_NAME, { filter: `${opts.subjectPrefix}.>` });
  for (const m of await readStream(nc, DeadLetterV1.subject, { since: opts.since })) {
    const consumer = (JSON.parse(m.body) as { data?: { consumer?: string } }).data?.consumer ?? '';
    if (consumer.startsWith(opts.servicePrefix)) await jsm.streams.deleteMessage(STREAM_NAME, m.seq).catch(() => undefined);
  }
}

/** A real publisher that counts publishes per event id, and can fail one once or hold one until released. */
export class ObservedPublisher extends JetStreamPublisher {
  readonly calls = new Map<string, number>();
  readonly failOnce = new Set<string>();
  readonly held = new Map<string, Promise<void>>();
  override async publishJson(type: string, id: string, json: string) {
    this.calls.set(id, (this.calls.get(id) ?? 0) + 1);
    await this.held.get(id);
    if (this.failOnce.delete(id)) throw new Error('NATS unavailable (simulated)');
    return super.publishJson(type, id, json);
  }
}

/** Drops a spec's private schema. */
export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}
