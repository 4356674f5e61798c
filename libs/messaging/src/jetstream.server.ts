import { EventEmitter } from 'node:events';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from './nats.types';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { consumerName } from './delivery.policy';
import { ConsumerRunner, upsertConsumer, type ConsumerRunnerOptions } from './jetstream-consumer.runner';
import type { JetStreamContext } from './jetstream.context';
import { JetStreamPublisher } from './jetstream.publisher';
import { defaultLogger, type MessagingLogger } from './messaging.logger';
import { inboxPrefixOf } from './bus-security/bus.permissions';
import { connectNats, waitForStream } from './nats.connection';
import { FactBatchRunner } from './facts/fact-batch.runner';
import { isFactHandler, runFactHandlers, runMixedHandlers, unchain, type NestEventHandler } from './chained-fact-handlers';

/**
 * Identifies this transport to Nest. A handler decorated `@EventPattern(subject, JETSTREAM_TRANSPORT)`
 * is bound to it alone; one without a transport is bound to every transport of the app.
 */
export const JETSTREAM_TRANSPORT = Symbol.for('certflow.messaging.JetStream');

/** How a service consumes events. Defaults suit every certflow service. */
export interface JetStreamServerOptions {
  /** NATS URL(s), comma-separated. */
  servers: string;
  /** The service's name: prefix of its durable consumers and `source` of its dead letters. */
  service: string;
  /** Attempts a handler gets at one message before it is dead-lettered. Default 10. */
  maxDeliver?: number;
  /** Redelivery delay after a failure, by delivery count; the last repeats. Default [50, 200, 1000, 3000, 10000]. */
  backoffMs?: number[];
  /** How long a handler may run before JetStream redelivers the message elsewhere. Default 30000. */
  ackWaitMs?: number;
  /** Messages handled at once, per consumer. Default 64. Handlers must not assume any order. */
  concurrency?: number;
  /** Facts a `@FactPattern` handler gets in one batch, at most. Default 32. */
  batchSize?: number;
  /** Where to log; default a pino logger named after the service. */
  logger?: MessagingLogger;
  /** `listen` keeps trying until a NATS server answers instead of failing (what a service's start-up wants). Default false. */
  waitForServer?: boolean;
}

/** The delivery defaults every service uses unless its configuration says otherwise. */
export const DEFAULT_MAX_DELIVER = 10;
export const DEFAULT_BACKOFF_MS: readonly number[] = [50, 200, 1000, 3000, 10000];
export const DEFAULT_ACK_WAIT_MS = 30_000;

type Status = 'connected' | 'disconnected' | 'reconnecting';

/**
 * Nest custom transport over NATS JetStream: every `@EventPattern<string>(subject)` handler gets a
 * durable pull consumer `<service>--<subject with _>`, so events are delivered at least once, also
 * those published while the service was down. A handler acks by returning (or by its observable
 * completing); a throw means redelivery with backoff, and after `maxDeliver` attempts a
 * `certflow.deadletter.v1` event. Handlers receive the parsed envelope and a `JetStreamContext`.
 *
 * Use: `app.connectMicroservice({ strategy: new JetStreamServer({ servers, service }) })`.
 */
export class JetStreamServer extends Server<Record<string, Function>, Status> implements CustomTransportStrategy {
  /** Errors must reach this transport: they decide between ack, redelivery and dead letter. */
  override readonly propagatesEventHandlerErrors = true;
  override transportId = JETSTREAM_TRANSPORT;

  private readonly settings: Omit<Required<JetStreamServerOptions>, 'servers' | 'logger' | 'waitForServer'>;
  private readonly log: MessagingLogger;
  private readonly events = new EventEmitter();
  private nc?: NatsConnection;
  private runners: { stop(): Promise<void> }[] = [];

  constructor(private readonly options: JetStreamServerOptions) {
    super();
    this.settings = {
      service: options.service,
      maxDeliver: options.maxDeliver ?? DEFAULT_MAX_DELIVER,
      backoffMs: options.backoffMs ?? [...DEFAULT_BACKOFF_MS],
      ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
      concurrency: options.concurrency ?? 64,
      batchSize: options.batchSize ?? 32,
    };
    if (!Number.isInteger(this.settings.maxDeliver) || this.settings.maxDeliver < 1) throw new Error('maxDeliver must be an integer ≥ 1');
    if (!Number.isInteger(this.settings.concurrency) || this.settings.concurrency < 1) throw new Error('concurrency must be an integer ≥ 1');
    if (this.settings.ackWaitMs < 1000) throw new Error('ackWaitMs must be at least 1000');
    this.log = options.logger ?? defaultLogger(options.service);
  }

  /** Connects, makes sure the stream and every handler's consumer exist, and starts consuming. */
  async listen(callback: (...optionalParams: unknown[]) => any): Promise<void> {
    try {
      await this.start();
    } catch (err) {
      // Without this the open connection keeps the process (and jest) alive after a failed start.
      await this.close().catch(() => undefined);
      callback(err);
      return;
    }
    callback();
  }

  /** Stops pulling, lets running handlers finish and settle their messages, then drains the connection. */
  async close(): Promise<void> {
    const runners = this.runners;
    this.runners = [];
    await Promise.all(runners.map((r) => r.stop()));
    const nc = this.nc;
    this.nc = undefined;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  /** Listens to connection status changes: 'connected', 'disconnected', 'reconnecting'. */
  on(event: string, callback: Function): void {
    this.events.on(event, callback as (...args: unknown[]) => void);
  }

  /** The NATS connection (after `listen`). */
  unwrap<T>(): T {
    if (!this.nc) throw new Error('JetStreamServer is not listening: call listen() first');
    return this.nc as T;
  }

  private async start(): Promise<void> {
    const { service } = this.settings;
    // The pid tells two instances of one service apart in the server's monitoring (/connz).
    const nc = await connectNats({
      servers: this.options.servers,
      name: `certflow/${service}/consumers/${process.pid}`,
      inboxPrefix: inboxPrefixOf(service),
      // A service's start-up sets it: NATS may go down again between its check and this connect.
      waitForServer: this.options.waitForServer ?? false,
    });
    this.nc = nc;
    void this.watchStatus(nc);
    await waitForStream(nc, this.log);
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const publisher = new JetStreamPublisher(nc);

    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) {
        this.log.warn({ pattern }, 'JetStream carries events only; @MessagePattern handler ignored');
        continue;
      }
      const subject = pattern;
      const name = consumerName(service, subject);
      const head = handler as unknown as NestEventHandler;
      const facts = [...chainOf(head)].filter(isFactHandler).length;
      // Fact handlers each need their own call (a batch, their own outcomes): see chained-fact-handlers.ts.
      const handlers = facts > 0 ? unchain(head) : [head];
      const mixed = facts > 0 && facts < handlers.length;
      if (mixed) this.log.warn({ subject }, 'fact handlers and plain handlers share this subject: messages go one at a time');
      const options: ConsumerRunnerOptions = {
        ...this.settings,
        name,
        subject,
        invoke: (payload, ctx) => this.invoke(ctx, mixed ? () => runMixedHandlers(subject, handlers, payload, ctx) : () => head(payload, ctx)),
        publisher,
        logger: this.log,
      };
      await upsertConsumer(jsm, options);
      if (facts > 0 && !mixed) {
        const runner = new FactBatchRunner({
          ...this.settings,
          name,
          subject,
          invoke: (deliveries) => runFactHandlers(subject, handlers, { deliveries }),
          publisher,
          logger: this.log,
        });
        await runner.start(js);
        this.runners.push(runner);
      } else {
        const runner = new ConsumerRunner(options);
        await runner.start(js);
        this.runners.push(runner);
      }
      this.log.info({ consumer: name, subject }, 'consuming');
    }
    this._status$.next('connected');
    this.events.emit('connected');
  }

  /** Runs the Nest handler inside Nest's processing hooks; settles when the handler (or its stream) does. */
  private invoke(ctx: JetStreamContext, call: () => Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.onProcessingStartHook(this.transportId, ctx, async () => {
        const runEndHook = this.createProcessingEndHookRunner(ctx);
        try {
          const result = await call();
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
          resolve();
        } catch (err) {
          reject(err);
        } finally {
          runEndHook();
        }
      });
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      const status: Status | undefined =
        s.type === 'disconnect' ? 'disconnected' : s.type === 'reconnecting' ? 'reconnecting' : s.type === 'reconnect' ? 'connected' : undefined;
      if (!status) continue;
      if (status !== 'connected') this.log.warn({ status: s.type }, 'NATS connection status');
      this._status$.next(status);
      this.events.emit(status);
    }
  }
}

/** The handlers Nest chained for one subject, head first. */
function* chainOf(head: NestEventHandler): Generator<NestEventHandler> {
  for (let h: NestEventHandler | undefined = head; h; h = h.next as NestEventHandler | undefined) yield h;
}
