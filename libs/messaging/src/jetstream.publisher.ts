import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from './nats.types';
import { STREAM_NAME, type CloudEvent } from '@certflow/contracts';

/** What JetStream answered to one publish. */
export interface PublishResult {
  /** The stream sequence that holds the event (the first copy's, for a duplicate). */
  seq: number;
  /** True when JetStream already had an event with this id within its duplicate window and dropped this one. */
  duplicate: boolean;
}

/**
 * Publishes events to the `CERTFLOW` stream and waits for JetStream's acknowledgement. The subject
 * is the event's `type`, the body its JSON envelope, and the `Nats-Msg-Id` header its `id`, so a
 * republish of the same event (after a crash, by a second relay) is dropped by the stream.
 *
 * Services do not call this after their own commits: they `enqueue` into the outbox and the
 * `OutboxRelay` publishes. The JetStream transport uses it directly for dead letters.
 */
export class JetStreamPublisher {
  private readonly js: JetStreamClient;

  constructor(nc: NatsConnection, opts: { timeoutMs?: number } = {}) {
    this.js = jetstream(nc, { timeout: opts.timeoutMs ?? 5_000 });
  }

  async publish(event: CloudEvent): Promise<PublishResult> {
    return this.publishJson(event.type, event.id, JSON.stringify(event));
  }

  /** As `publish`, for an envelope already serialized (the outbox keeps it as JSON text). */
  async publishJson(type: string, id: string, json: string): Promise<PublishResult> {
    const ack = await this.js.publish(type, json, { msgID: id, expect: { streamName: STREAM_NAME } });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }
}
