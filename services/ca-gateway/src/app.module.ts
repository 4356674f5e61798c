import { OnCertificateUploadedConsumer } from './consumers/on-certificate-uploaded.consumer';
import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Clock } from '@certflow/pki';
import { CreateMessagingTables1700000000000, MESSAGING_ENTITIES, MessagingModule, OutboxRelay } from '@certflow/messaging';
import { DATA_SOURCE, PersistenceModule } from '@certflow/persistence';
import { createLogger, HealthResponder, SERVICE_NAME } from '@certflow/runtime';
import { CA_GATEWAY_CONFIG, type CaGatewayConfig } from './config';
import { CLOCK, clockProvider } from './clock.provider';
import { OnRequestSubmittedConsumer } from './consumers/on-request-submitted.consumer';
import { CaAdapterRegistry } from './issuance/ca-adapter.registry';
import { InternalCaAdapter } from './issuance/adapters/internal/internal-ca.adapter';
import { CaMaterialOrmEntity } from './issuance/adapters/internal/ca-material.orm-entity';
import { PgInternalCaStore } from './issuance/adapters/internal/pg-internal-ca.store';
import { OfflineAdapter } from './issuance/adapters/offline/offline.adapter';
import { IssuanceService } from './issuance/issuance.service';
import { IssuanceOrmEntity } from './issuance/persistence/issuance.orm-entity';
import { CreateIssuanceTables1712000000000 } from './migrations/1712000000000-create-issuance-tables';

/** The service's name: log name, NATS client name, durable consumer prefix, health ping subject. */
export const SERVICE = 'ca-gateway';
/** The PostgreSQL schema the gateway owns. */
export const SCHEMA = 'ca_gateway';

export interface AppModuleOptions {
  /** Another service name (tests: unique durable consumers per run). Default `ca-gateway`. */
  service?: string;
}

function registryFactory(config: CaGatewayConfig, ds: DataSource, relay: OutboxRelay, clock: Clock): CaAdapterRegistry {
  return CaAdapterRegistry.fromConfig(config.CERTFLOW_ISSUERS, {
    internal: (issuer) =>
      new InternalCaAdapter({
        issuer,
        caName: config.CERTFLOW_INTERNAL_CA_NAME,
        key: config.CERTFLOW_CA_KEY,
        leafDays: config.CERTFLOW_LEAF_DAYS,
        clock,
        store: new PgInternalCaStore(ds, () => relay.kick()),
      }),
    offline: () => new OfflineAdapter(),
  });
}

/** The ca-gateway: consumes request.submitted, issues through the request's CA, publishes the answer. */
@Module({})
export class AppModule {
  static forRoot(config: CaGatewayConfig, opts: AppModuleOptions = {}): DynamicModule {
    const service = opts.service ?? SERVICE;
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forService({
          url: config.DATABASE_URL,
          schema: SCHEMA,
          entities: [...MESSAGING_ENTITIES, CaMaterialOrmEntity, IssuanceOrmEntity],
          migrations: [CreateMessagingTables1700000000000, CreateIssuanceTables1712000000000],
          poolSize: config.CERTFLOW_DB_POOL,
          logger: createLogger(service, config.CERTFLOW_LOG_LEVEL),
        }),
        MessagingModule.forService({ service, natsUrl: config.NATS_URL }),
      ],
      controllers: [OnRequestSubmittedConsumer, OnCertificateUploadedConsumer],
      providers: [
        HealthResponder,
        { provide: SERVICE_NAME, useValue: service },
        { provide: CA_GATEWAY_CONFIG, useValue: config },
        clockProvider,
        {
          provide: CaAdapterRegistry,
          inject: [CA_GATEWAY_CONFIG, DATA_SOURCE, OutboxRelay, CLOCK],
          useFactory: registryFactory,
        },
        IssuanceService,
      ],
    };
  }
}
