import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from './nats.types';
import { annotateTrace, printable, runWithTrace, STREAM_NAME } from '@certflow/contracts';
import { deadLetter, traceOf } from './dead-letter';
import { decideAfterFailure, isBeyondLastAttempt, serverMaxDeliver, type DeliveryPolicy } from './delivery.policy';
import { JetStreamContext } from './jetstream.context';
import type { JetStreamPublisher } from './jetstream.publisher';
import { errorMessage, type MessagingLogger } from './messaging.logger';
import { isNotFound } from './nats.connection';
import { jetstreamDeliveries, jetstreamRedeliveries } from './messaging.metrics';


/** Everything one consumer runner needs; built by `JetStreamServer`. */
export interface ConsumerRunnerOptions extends DeliveryPolicy {
  /** The service that owns the consumer; dead letters come from `certflow/<service>`. */
  service: string;
  /** The durable consumer's name. */
  name: string;
  /** The handler's subject, the consumer's filter. */
  subject: string;
  ackWaitMs: number;
  concurrency: number;
  /** Runs the Nest handler; resolves when it succeeded, rejects with what it threw. */
  invoke: (payload: unknown, ctx: JetStreamContext) => Promise<void>;
  publisher: JetStreamPublisher;
  logger: MessagingLogger;
}

/**
 * Creates the durable pull consumer, or brings an existing one's limits up to date. Filter, ack and
 * deliver policies are fixed by the name, so only `max_deliver` and `ack_wait` are ever updated.
 */
export async function upsertConsumer(jsm: JetStreamManager, o: ConsumerRunnerOptions): Promise<void> {
  const limits = { max_deliver: serverMaxDeliver(o), ack_wait: nanos(o.ackWaitMs) };
  const existing = await jsm.consumers.info(STREAM_NAME, o.name).catch((err: unknown) => {
    if (isNotFound(err, JetStreamApiCodes.ConsumerNotFound)) return undefined;
    throw err;
  });
  if (!existing) {
    try {
      await jsm.consumers.add(STREAM_NAME, {
        durable_name: o.name,
        filter_subject: o.subject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...limits,
      });
      return;
    } catch (err) {
      // Another instance of the service may have created it first; then fall through to update.
      const raced = await jsm.consumers.info(STREAM_NAME, o.name).catch(() => undefined);
      if (!raced) throw err;
    }
  }
  const current = existing ?? (await jsm.consumers.info(STREAM_NAME, o.name));
  if (current.config.filter_subject !== o.subject) {
    throw new Error(`consumer ${o.name} filters ${current.config.filter_subject}, expected ${o.subject}: delete it to recreate`);
  }
  if (current.config.max_deliver !== limits.max_deliver || current.config.ack_wait !== limits.ack_wait) {
    await jsm.consumers.update(STREAM_NAME, o.name, limits);
  }
}

/**
 * Pulls one durable consumer and runs its handler on at most `concurrency` messages at a time.
 * Each message ends in exactly one of: ack (handler succeeded), nak with a delay (failed, attempts
 * remain), or dead letter + term (attempts exhausted, or the body is not JSON).
 */
export class ConsumerRunner {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: ConsumerRunnerOptions) {}

  async start(js: JetStreamClient): Promise<void> {
    const consumer = await js.consumers.get(STREAM_NAME, this.o.name);
    // The client pulls the next batch only as the loop below takes messages, so waiting for a free
    // slot before taking one keeps the local buffer near `max_messages`.
    this.messages = await consumer.consume({ max_messages: this.o.concurrency });
    this.loop = this.run(this.messages);
  }

  /** Stops pulling, then waits for the handlers already running to settle (and ack or nak). */
  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        while (this.inFlight.size >= this.o.concurrency) await Promise.race(this.inFlight);
        const done: Promise<void> = this.processTraced(msg)
          .catch((err: unknown) => this.o.logger.error({ err, consumer: this.o.name }, 'message processing crashed'))
          .then(() => {
            this.inFlight.delete(done);
          });
        this.inFlight.add(done);
      }
    } catch (err) {
      this.o.logger.error({ err, consumer: this.o.name }, 'consumer stopped with an error');
    }
  }

  /** Counts the delivery and handles it in a trace context, so every log line and event it causes names it. */
  private processTraced(msg: JsMsg): Promise<void> {
    const redelivered = msg.info.deliveryCount > 1;
    jetstreamDeliveries.inc({ consumer: this.o.name, redelivered: String(redelivered) });
    if (redelivered) jetstreamRedeliveries.inc({ consumer: this.o.name });
    const msgId = msg.headers?.get('Nats-Msg-Id') || undefined;
    return runWithTrace({ eventId: msgId, correlationId: msgId }, () => this.process(msg));
  }

  private async process(msg: JsMsg): Promise<void> {
    const delivery = msg.info.deliveryCount;
    const text = new TextDecoder().decode(msg.data);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (err) {
      return deadLetter(this.o, msg, text, undefined, `body is not JSON: ${errorMessage(err)}`);
    }
    annotateTrace(traceOf(payload));
    if (isBeyondLastAttempt(this.o, delivery)) {
      return deadLetter(this.o, msg, text, payload, `gave up after ${this.o.maxDeliver} attempts (the last one did not settle)`);
    }

    const ctx = new JetStreamContext([msg, this.o.name]);
    try {
      await this.o.invoke(payload, ctx);
      msg.ack();
      // Debug only: with the trace fields, one line per event shows a request's way through the services.
      this.o.logger.debug({ consumer: this.o.name, subject: msg.subject, seq: msg.info.streamSequence, delivery }, 'event handled');
      return;
    } catch (thrown) {
      const decision = decideAfterFailure(this.o, delivery, ctx.failure ? ctx.failure.error : thrown);
      if (decision.action === 'dead-letter') return deadLetter(this.o, msg, text, payload, decision.error);
      const fields = { consumer: this.o.name, subject: msg.subject, seq: msg.info.streamSequence, delivery, delayMs: decision.delayMs };
      // A handler's error may quote what a CA or a certificate said: escaped for the log line.
      if (decision.expected) this.o.logger.debug(fields, `not ready, retrying later: ${printable(decision.error)}`);
      else this.o.logger.warn({ ...fields, err: printable(decision.error) }, 'handler failed, will retry');
      msg.nak(decision.delayMs);
    }
  }

}


