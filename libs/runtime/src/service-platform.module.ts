import { Module, type DynamicModule } from '@nestjs/common';
import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, MessagingModule } from '@certflow/messaging';
import { DATA_SOURCE, PersistenceModule } from '@certflow/persistence';
import type { DataSource } from 'typeorm';
import { observeStatementGroups } from './metrics/db.metrics';
import type { BaseConfig } from './config';
import { HealthResponder, SERVICE_NAME } from './health.responder';
import { createLogger } from './logger';
import { CLOCK, clockProvider } from './clock.provider';

/** Token of the provider that points the group-commit metrics at the service's data source. */
const DB_METRICS = Symbol('certflow.runtime.db-metrics');

export interface ServicePlatformOptions {
  /** The service's name: what /readyz pings (`rpc.certflow.<name>.ping`). */
  name: string;
  /** Prefix of the service's durable consumers; the name, unless a test needs its own. */
  consumerPrefix?: string;
  /** The PostgreSQL schema the service owns. */
  schema: string;
  config: BaseConfig;
  /** The service's own entities and migrations; the outbox and inbox ones are added here. */
  entities: Function[];
  migrations: Function[];
  /** Tables the service's runtime database role may only append to and read (e.g. an audit log). */
  appendOnly?: string[];
}

/**
 * What every certflow service stands on: its own schema (migrated at start), NATS with the outbox
 * relay, the readiness ping and the clock. Global, so a service's providers inject DATA_SOURCE,
 * NATS_CONNECTION, OutboxRelay and JetStreamPublisher without importing anything else.
 */
@Module({})
export class ServicePlatformModule {
  static forService(o: ServicePlatformOptions): DynamicModule {
    const consumerPrefix = o.consumerPrefix ?? o.name;
    return {
      module: ServicePlatformModule,
      global: true,
      imports: [
        PersistenceModule.forService({
          url: o.config.DATABASE_URL,
          schema: o.schema,
          entities: [...MESSAGING_ENTITIES, ...o.entities],
          migrations: [...MESSAGING_MIGRATIONS, ...o.migrations],
          appendOnly: o.appendOnly,
          poolSize: o.config.CERTFLOW_DB_POOL,
          statementGroup: o.config.CERTFLOW_DB_GROUP,
          logger: createLogger(consumerPrefix, o.config.CERTFLOW_LOG_LEVEL),
        }),
        // The service's logger, so relay and publisher lines carry the trace fields too.
        MessagingModule.forService({ service: consumerPrefix, natsUrl: o.config.NATS_URL, logger: createLogger(consumerPrefix, o.config.CERTFLOW_LOG_LEVEL) }),
      ],
      providers: [
        HealthResponder,
        { provide: SERVICE_NAME, useValue: o.name },
        clockProvider,
        { provide: DB_METRICS, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => observeStatementGroups(ds) ?? true },
      ],
      exports: [SERVICE_NAME, CLOCK],
    };
  }
}
