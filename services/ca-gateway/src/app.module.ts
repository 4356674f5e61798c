import { OnCertificateUploadedConsumer } from './consumers/on-certificate-uploaded.consumer';
import { Logger, Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Clock } from '@certflow/pki';
import { OutboxRelay } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { CLOCK, ServicePlatformModule } from '@certflow/runtime';
import { CA_GATEWAY_CONFIG, type CaGatewayConfig } from './config';
import { OnRequestSubmittedConsumer } from './consumers/on-request-submitted.consumer';
import { CaAdapterRegistry } from './issuance/ca-adapter.registry';
import { InternalCaAdapter } from './issuance/adapters/internal/internal-ca.adapter';
import { CaMaterialOrmEntity } from './issuance/adapters/internal/ca-material.orm-entity';
import { PgInternalCaStore } from './issuance/adapters/internal/pg-internal-ca.store';
import { OfflineAdapter } from './issuance/adapters/offline/offline.adapter';
import { IssuanceService } from './issuance/issuance.service';
import { IssuanceOrmEntity } from './issuance/persistence/issuance.orm-entity';
import { CreateIssuanceTables1712000000000 } from './migrations/1712000000000-create-issuance-tables';
import { CreateAcmeTables1712100000000 } from './migrations/1712100000000-create-acme-tables';
import { AcmeAdapter } from './issuance/adapters/acme/acme.adapter';
import { installAcmeHttp } from './issuance/adapters/acme/acme-http.transport';
import { PgAcmeAccountStore } from './issuance/adapters/acme/acme-account.store';
import { PgHttpChallengeStore } from './issuance/adapters/acme/http-challenge.store';
import { HttpChallengeResponder } from './issuance/adapters/acme/http-challenge.responder';
import { dnsProviderFor } from './issuance/adapters/acme/dns-challenge.provider';
import { PendingOrderPoller, POLLER_SETTINGS, type PollerSettings } from './issuance/pending-order.poller';
import { CreateRevocationTables1712200000000 } from './migrations/1712200000000-create-revocation-tables';
import { OnRevocationRequestedConsumer } from './consumers/on-revocation-requested.consumer';
import { CrlStore } from './revocation/crl.store';
import { CrlRefreshRunner } from './revocation/crl-refresh.runner';
import { InternalSigners } from './revocation/internal-signers';
import { PkiRpcResponder } from './revocation/pki.rpc-responder';
import { checkPublicUrl } from './revocation/public-url.guard';

/** The service's name: log name, NATS client name, durable consumer prefix, health ping subject. */
export const SERVICE = 'ca-gateway';
/** The PostgreSQL schema the gateway owns. */
export const SCHEMA = 'ca_gateway';

export interface AppModuleOptions {
  /** Another service name (tests: unique durable consumers per run). Default `ca-gateway`. */
  service?: string;
}

function registryFactory(config: CaGatewayConfig, ds: DataSource, relay: OutboxRelay, clock: Clock): CaAdapterRegistry {
  installAcmeHttp(config.CERTFLOW_ACME_TIMEOUT_MS);
  const byName = new Map(config.issuers.map((i) => [i.name, i]));
  const acmeConfig = (issuer: string) => {
    const found = byName.get(issuer);
    if (found?.type !== 'acme') throw new Error(`issuer "${issuer}" is not an acme issuer`);
    return found;
  };
  return CaAdapterRegistry.fromConfig(
    config.issuers.map((i) => i.name),
    {
      internal: (issuer) =>
        new InternalCaAdapter({
          issuer,
          caName: config.CERTFLOW_INTERNAL_CA_NAME,
          key: config.CERTFLOW_CA_KEY,
          leafDays: config.CERTFLOW_LEAF_DAYS,
          clock,
          store: new PgInternalCaStore(ds, () => relay.kick()),
          publicUrl: config.CERTFLOW_PUBLIC_URL,
        }),
      offline: () => new OfflineAdapter(),
      acme: (issuer) => {
        const acme = acmeConfig(issuer);
        return new AcmeAdapter({
          config: acme,
          accounts: new PgAcmeAccountStore(ds, config.CERTFLOW_CA_KEY),
          httpChallenges: new PgHttpChallengeStore(ds),
          dns: dnsProviderFor(acme.dnsProvider),
          clock,
        });
      },
    },
    (issuer) => byName.get(issuer)!.type,
  );
}

function pollerSettings(config: CaGatewayConfig): PollerSettings {
  return {
    tickMs: 250,
    // Longer than one drive (a handful of CA calls, each bounded by the timeout).
    leaseMs: config.CERTFLOW_ACME_TIMEOUT_MS * 6,
    batch: 20,
    backoff: {
      baseMs: config.CERTFLOW_ACME_RETRY_BASE_MS,
      maxMs: config.CERTFLOW_ACME_RETRY_MAX_SECONDS * 1000,
      giveUpMs: config.CERTFLOW_ACME_GIVE_UP_MINUTES * 60_000,
    },
  };
}

/** The HTTP-01 responder, started only when an acme issuer uses http-01. */
class ChallengeResponderLifecycle implements OnModuleInit, OnModuleDestroy {
  private responder?: HttpChallengeResponder;
  constructor(private readonly config: CaGatewayConfig, private readonly ds: DataSource) {}
  async onModuleInit(): Promise<void> {
    if (!this.config.issuers.some((i) => i.type === 'acme' && i.challenge === 'http-01')) return;
    this.responder = new HttpChallengeResponder(new PgHttpChallengeStore(this.ds), this.config.CERTFLOW_ACME_HTTP_HOST, this.config.CERTFLOW_ACME_HTTP_PORT);
    await this.responder.start();
  }
  async onModuleDestroy(): Promise<void> {
    await this.responder?.stop();
  }
}

/** Refuses to start with a CERTFLOW_PUBLIC_URL other than the one leaves carry (see public-url.guard.ts). */
class PublicUrlCheck implements OnModuleInit {
  constructor(private readonly config: CaGatewayConfig, private readonly ds: DataSource) {}
  async onModuleInit(): Promise<void> {
    const log = new Logger('PublicUrl');
    await checkPublicUrl(this.ds, this.config.CERTFLOW_PUBLIC_URL, this.config.CERTFLOW_PUBLIC_URL_CHANGE === 'accept', (line) => log.warn(line));
  }
}

/** The ca-gateway: consumes request.submitted, issues through the request's CA, publishes the answer. */
@Module({})
export class AppModule {
  static forRoot(config: CaGatewayConfig, opts: AppModuleOptions = {}): DynamicModule {
    const service = opts.service ?? SERVICE;
    return {
      module: AppModule,
      imports: [
        ServicePlatformModule.forService({
          name: SERVICE,
          consumerPrefix: service,
          schema: SCHEMA,
          config,
          entities: [CaMaterialOrmEntity, IssuanceOrmEntity],
          migrations: [CreateIssuanceTables1712000000000, CreateAcmeTables1712100000000, CreateRevocationTables1712200000000],
        }),
      ],
      controllers: [OnRequestSubmittedConsumer, OnCertificateUploadedConsumer, OnRevocationRequestedConsumer],
      providers: [
        { provide: CA_GATEWAY_CONFIG, useValue: config },
        {
          provide: CaAdapterRegistry,
          inject: [CA_GATEWAY_CONFIG, DATA_SOURCE, OutboxRelay, CLOCK],
          useFactory: registryFactory,
        },
        IssuanceService,
        { provide: POLLER_SETTINGS, inject: [CA_GATEWAY_CONFIG], useFactory: pollerSettings },
        PendingOrderPoller,
        { provide: PublicUrlCheck, inject: [CA_GATEWAY_CONFIG, DATA_SOURCE], useFactory: (c: CaGatewayConfig, ds: DataSource) => new PublicUrlCheck(c, ds) },
        { provide: InternalSigners, inject: [CaAdapterRegistry], useFactory: (r: CaAdapterRegistry) => new InternalSigners(r) },
        { provide: CrlStore, inject: [CA_GATEWAY_CONFIG], useFactory: (c: CaGatewayConfig) => new CrlStore(c.CERTFLOW_CRL_VALIDITY) },
        CrlRefreshRunner,
        PkiRpcResponder,
        { provide: ChallengeResponderLifecycle, inject: [CA_GATEWAY_CONFIG, DATA_SOURCE], useFactory: (c: CaGatewayConfig, ds: DataSource) => new ChallengeResponderLifecycle(c, ds) },
      ],
    };
  }
}
