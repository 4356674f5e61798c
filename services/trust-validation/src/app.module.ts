import { Module, type DynamicModule } from '@nestjs/common';
import { CreateMessagingTables1700000000000, MESSAGING_ENTITIES, MessagingModule } from '@certflow/messaging';
import { PersistenceModule } from '@certflow/persistence';
import { HealthResponder, SERVICE_NAME } from '@certflow/runtime';
import { CertificateLookupService } from './chain-validation/certificate-lookup.service';
import { ChainValidationService } from './chain-validation/chain-validation.service';
import { OnCertificateIssuedConsumer } from './chain-validation/consumers/on-certificate-issued.consumer';
import { OnTrustUpdatedConsumer } from './chain-validation/consumers/on-trust-updated.consumer';
import { SeenCertificateRow } from './chain-validation/persistence/seen-certificate.orm-entity';
import { ValidationRow } from './chain-validation/persistence/validation.orm-entity';
import { RevalidationService } from './chain-validation/revalidation.service';
import { clockProvider } from './clock.provider';
import { SCHEMA, SERVICE, TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from './config';
import { TrustStoreTables1700000002000 } from './migrations/1700000002000-trust-store-tables';
import { ValidationTables1700000002100 } from './migrations/1700000002100-validation-tables';
import { OnIssuerCaPublishedConsumer } from './trust-store/consumers/on-issuer-ca-published.consumer';
import { TrustAuditRow } from './trust-store/persistence/trust-audit.orm-entity';
import { TrustedCertificateRow } from './trust-store/persistence/trusted-certificate.orm-entity';
import { TrustRpcResponder } from './trust-store/rpc/trust.rpc-responder';
import { TrustStoreCache } from './trust-store/trust-store.cache';
import { TrustStoreService } from './trust-store/trust-store.service';

export const TRUST_VALIDATION_ENTITIES = [TrustedCertificateRow, TrustAuditRow, ValidationRow, SeenCertificateRow];
export const TRUST_VALIDATION_MIGRATIONS = [TrustStoreTables1700000002000, ValidationTables1700000002100];

/** trust-validation: the trust stores, and chain validation of every returned certificate. */
@Module({})
export class AppModule {
  /** `service` names the durable consumers and outbox; tests pass a unique one. */
  static forRoot(config: TrustValidationConfig, service: string = SERVICE): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forService({
          url: config.DATABASE_URL,
          schema: SCHEMA,
          entities: [...MESSAGING_ENTITIES, ...TRUST_VALIDATION_ENTITIES],
          migrations: [CreateMessagingTables1700000000000, ...TRUST_VALIDATION_MIGRATIONS],
          poolSize: config.CERTFLOW_DB_POOL,
        }),
        MessagingModule.forService({ service, natsUrl: config.NATS_URL }),
      ],
      controllers: [OnCertificateIssuedConsumer, OnIssuerCaPublishedConsumer, OnTrustUpdatedConsumer],
      providers: [
        HealthResponder,
        { provide: SERVICE_NAME, useValue: SERVICE },
        { provide: TRUST_VALIDATION_CONFIG, useValue: config },
        clockProvider,
        TrustStoreCache,
        TrustStoreService,
        ChainValidationService,
        RevalidationService,
        CertificateLookupService,
        TrustRpcResponder,
      ],
    };
  }
}
