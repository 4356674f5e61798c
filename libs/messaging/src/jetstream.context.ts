import type { JsMsg } from '@nats-io/jetstream';
import { BaseRpcContext } from '@nestjs/microservices';

/** The arguments a `JetStreamContext` wraps: the message and the durable consumer that received it. */
export type JetStreamContextArgs = [message: JsMsg, consumer: string];

/**
 * What a handler can learn about the delivery it is handling (`@Ctx() ctx: JetStreamContext`).
 * The handler never acks: the transport acks when the handler settles without error.
 */
export class JetStreamContext extends BaseRpcContext<JetStreamContextArgs> {
  /**
   * The error the handler really threw, recorded by `JetStreamFailureInterceptor` before Nest's
   * exception layer replaces it with a generic one. Internal to the transport.
   */
  failure?: { error: unknown };

  constructor(args: JetStreamContextArgs) {
    super(args);
  }

  /** The subject the event was published on (equal to the envelope's `type`). */
  get subject(): string {
    return this.args[0].subject;
  }

  /** 1 on the first delivery, then 2, 3, … up to `maxDeliver`. */
  get deliveryCount(): number {
    return this.args[0].info.deliveryCount;
  }

  /** The event's position in stream `CERTFLOW`: stable across redeliveries. */
  get streamSequence(): number {
    return this.args[0].info.streamSequence;
  }

  /** The durable consumer's name, `<service>--<subject with . as _>`; handy as an inbox consumer key. */
  get consumer(): string {
    return this.args[1];
  }

  /** The raw JetStream message, for headers or `working()` on a long job. */
  get message(): JsMsg {
    return this.args[0];
  }
}
