import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { NatsConnection } from './nats.types';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { JetStreamFailureInterceptor } from './jetstream-failure.interceptor';
import { JetStreamPublisher } from './jetstream.publisher';
import { defaultLogger, errorMessage, type MessagingLogger } from './messaging.logger';
import { inboxPrefixOf } from './bus-security/bus.permissions';
import { connectNats } from './nats.connection';
import { OutboxRelay, type OutboxRelayOptions } from './outbox.relay';
import { FactProcessor } from './facts/fact.processor';

/** Nest injection token of the service's NATS connection. */
export const NATS_CONNECTION = Symbol.for('certflow.messaging.NatsConnection');

/** Nest injection token of the resolved `MessagingModuleOptions`. */
export const MESSAGING_OPTIONS = Symbol.for('certflow.messaging.options');

/** What `MessagingModule` needs; `logger` and `relay` are optional additions. */
export interface MessagingModuleOptions {
  /** The service's name, shown in NATS monitoring and in logs. */
  service: string;
  natsUrl: string;
  logger?: MessagingLogger;
  relay?: Omit<OutboxRelayOptions, 'logger'>;
}

type ResolvedMessagingOptions = MessagingModuleOptions & { logger: MessagingLogger };

/**
 * Starts the outbox relay once the app is up, and at shutdown — after the JetStream transport has
 * drained its handlers — stops it, publishes what those last handlers enqueued, and drains NATS.
 */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    if (this.ds.isInitialized && !this.nc.isClosed()) {
      // Best effort; what is left stays in the outbox for the next start.
      await this.relay.drainOnce().catch((err: unknown) =>
        this.options.logger.warn({ err: errorMessage(err) }, 'final outbox flush failed; rows wait for the next start'),
      );
    }
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

/**
 * A service's messaging in Nest: its NATS connection, a `JetStreamPublisher`, and the `OutboxRelay`
 * over the service's DataSource (so `PersistenceModule.forService` must be imported too). Global:
 * import it once, in the root module. It also registers `JetStreamFailureInterceptor`, so dead
 * letters carry the handler's real error.
 *
 * Consuming is separate: connect a `JetStreamServer` to the app (it has its own connection).
 */
@Global()
@Module({})
export class MessagingModule {
  static forService(
    opts: MessagingModuleOptions | (() => MessagingModuleOptions | Promise<MessagingModuleOptions>),
  ): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: MESSAGING_OPTIONS,
          useFactory: async (): Promise<ResolvedMessagingOptions> => {
            const o = typeof opts === 'function' ? await opts() : opts;
            return { ...o, logger: o.logger ?? defaultLogger(o.service) };
          },
        },
        {
          provide: NATS_CONNECTION,
          inject: [MESSAGING_OPTIONS],
          useFactory: async (o: ResolvedMessagingOptions) => {
            // The stream is the provisioning step's; until it exists the relay's publishes fail and are retried.
            // A NATS outage at start is waited out here too (the service's start-up said what it waits for).
            return connectNats({ servers: o.natsUrl, name: `certflow/${o.service}`, inboxPrefix: inboxPrefixOf(o.service), waitForServer: true });
          },
        },
        {
          provide: JetStreamPublisher,
          inject: [NATS_CONNECTION],
          useFactory: (nc: NatsConnection) => new JetStreamPublisher(nc),
        },
        {
          provide: OutboxRelay,
          inject: [DATA_SOURCE, JetStreamPublisher, MESSAGING_OPTIONS],
          useFactory: (ds: DataSource, publisher: JetStreamPublisher, o: ResolvedMessagingOptions) =>
            new OutboxRelay(ds, publisher, { ...o.relay, logger: o.logger }),
        },
        {
          provide: FactProcessor,
          inject: [DATA_SOURCE, OutboxRelay, MESSAGING_OPTIONS],
          useFactory: (ds: DataSource, relay: OutboxRelay, o: ResolvedMessagingOptions) => new FactProcessor(ds, relay, o.logger),
        },
        MessagingLifecycle,
        { provide: APP_INTERCEPTOR, useClass: JetStreamFailureInterceptor },
      ],
      exports: [NATS_CONNECTION, MESSAGING_OPTIONS, JetStreamPublisher, OutboxRelay, FactProcessor],
    };
  }
}
