import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { printable, runWithTrace, STREAM_NAME } from '@certflow/contracts';
import { deadLetter, traceOf } from '../dead-letter';
import { backoffFor, decideAfterFailure, isBeyondLastAttempt, type DeliveryPolicy } from '../delivery.policy';
import type { JetStreamPublisher } from '../jetstream.publisher';
import { errorMessage, type MessagingLogger } from '../messaging.logger';
import { jetstreamDeliveries, jetstreamRedeliveries } from '../messaging.metrics';
import type { FactOutcome } from './fact.handler';
import type { Delivery } from './fact.processor';

/** Everything a batch runner needs; built by `JetStreamServer` for a `@FactPattern` handler. */
export interface FactBatchRunnerOptions extends DeliveryPolicy {
  service: string;
  /** The durable consumer's name. */
  name: string;
  subject: string;
  /** Messages received and not yet settled, at most (the client's pull size). */
  concurrency: number;
  /** Messages one batch carries at most. */
  batchSize: number;
  /** Runs the handler on a batch; resolves with one outcome per delivery. */
  invoke: (deliveries: Delivery[]) => Promise<FactOutcome[]>;
  publisher: JetStreamPublisher;
  logger: MessagingLogger;
}

/**
 * Pulls one durable consumer and hands its messages to the handler in batches: whatever has arrived
 * while the previous batch was being applied, up to `batchSize`. Idle, a message goes alone at
 * once (no waiting for a batch to fill); loaded, batches grow and the cost per fact falls. Each
 * message then ends in exactly one of: ack, nak with a delay, or dead letter + term.
 */
export class FactBatchRunner {
  private messages?: ConsumerMessages;
  private pump?: Promise<void>;
  private worker?: Promise<void>;
  private readonly queue: JsMsg[] = [];
  private unsettled = 0;
  private ended = false;
  private readonly arrived: (() => void)[] = [];
  private readonly freed: (() => void)[] = [];

  constructor(private readonly o: FactBatchRunnerOptions) {}

  async start(js: JetStreamClient): Promise<void> {
    const consumer = await js.consumers.get(STREAM_NAME, this.o.name);
    this.messages = await consumer.consume({ max_messages: this.o.concurrency });
    this.pump = this.receive(this.messages);
    // One batch in progress: what arrives meanwhile forms the next one, so under load batches grow
    // and each transaction's fixed cost is shared by more facts.
    this.worker = this.work();
  }

  /** Stops pulling, then lets the batches already taken settle (ack or nak). */
  async stop(): Promise<void> {
    await this.messages?.close();
    await this.pump;
    this.ended = true;
    this.wake(this.arrived);
    await this.worker;
  }

  private wake(waiters: (() => void)[]): void {
    for (const w of waiters.splice(0)) w();
  }

  private async receive(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        this.queue.push(msg);
        this.unsettled++;
        this.wake(this.arrived);
        // Taking no more keeps the client from pulling more than it can settle in time.
        while (this.unsettled >= this.o.concurrency) await new Promise<void>((r) => this.freed.push(r));
      }
    } catch (err) {
      this.o.logger.error({ err, consumer: this.o.name }, 'consumer stopped with an error');
    } finally {
      this.ended = true;
      this.wake(this.arrived);
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      while (this.queue.length === 0) {
        if (this.ended) return;
        await new Promise<void>((r) => this.arrived.push(r));
      }
      const batch = this.queue.splice(0, this.o.batchSize);
      await this.settleBatch(batch).catch((err: unknown) => this.o.logger.error({ err, consumer: this.o.name }, 'batch processing crashed'));
      this.unsettled -= batch.length;
      this.wake(this.freed);
    }
  }

  private async settleBatch(batch: JsMsg[]): Promise<void> {
    const taken: { msg: JsMsg; text: string; payload: unknown }[] = [];
    for (const msg of batch) {
      const redelivered = msg.info.deliveryCount > 1;
      jetstreamDeliveries.inc({ consumer: this.o.name, redelivered: String(redelivered) });
      if (redelivered) jetstreamRedeliveries.inc({ consumer: this.o.name });
      const text = new TextDecoder().decode(msg.data);
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch (err) {
        await deadLetter(this.o, msg, text, undefined, `body is not JSON: ${errorMessage(err)}`);
        continue;
      }
      if (isBeyondLastAttempt(this.o, msg.info.deliveryCount)) {
        await deadLetter(this.o, msg, text, payload, `gave up after ${this.o.maxDeliver} attempts (the last one did not settle)`);
        continue;
      }
      taken.push({ msg, text, payload });
    }
    if (taken.length === 0) return;

    let outcomes: FactOutcome[];
    try {
      outcomes = await this.o.invoke(taken.map((t) => ({ payload: t.payload, deliveryCount: t.msg.info.deliveryCount })));
    } catch (error) {
      outcomes = taken.map(() => ({ action: 'fail', error }));
    }
    await Promise.all(taken.map((t, i) => this.settle(t.msg, t.text, t.payload, outcomes[i] ?? { action: 'fail', error: new Error('handler gave no outcome') })));
  }

  /** Acks, naks or dead-letters one message, logging in its own trace context. */
  private settle(msg: JsMsg, text: string, payload: unknown, outcome: FactOutcome): Promise<void> {
    const msgId = msg.headers?.get('Nats-Msg-Id') || undefined;
    return runWithTrace({ eventId: msgId, correlationId: msgId, ...traceOf(payload) }, async () => {
      const delivery = msg.info.deliveryCount;
      const fields = { consumer: this.o.name, subject: msg.subject, seq: msg.info.streamSequence, delivery };
      if (outcome.action === 'ack') {
        msg.ack();
        this.o.logger.debug(fields, 'event handled');
        return;
      }
      if (outcome.action === 'retry') {
        if (delivery >= this.o.maxDeliver) return deadLetter(this.o, msg, text, payload, `still not ready after ${delivery} deliveries: ${outcome.reason}`);
        const delayMs = Math.max(outcome.delayMs, backoffFor(this.o, delivery));
        this.o.logger.debug({ ...fields, delayMs }, `not ready, retrying later: ${printable(outcome.reason)}`);
        msg.nak(delayMs);
        return;
      }
      const decision = decideAfterFailure(this.o, delivery, outcome.error);
      if (decision.action === 'dead-letter') return deadLetter(this.o, msg, text, payload, decision.error);
      this.o.logger.warn({ ...fields, delayMs: decision.delayMs, err: printable(decision.error) }, 'handler failed, will retry');
      msg.nak(decision.delayMs);
    });
  }
}
