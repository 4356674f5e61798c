import { Module, type DynamicModule } from '@nestjs/common';
import { ServicePlatformModule } from '@certflow/runtime';
import { BrokenChainService } from './chain-validation/broken-chain.service';
import { CertificateLookupService } from './chain-validation/certificate-lookup.service';
import { ChainValidationService } from './chain-validation/chain-validation.service';
import { OnCertificateIssuedConsumer } from './chain-validation/consumers/on-certificate-issued.consumer';
import { OnTrustUpdatedConsumer } from './chain-validation/consumers/on-trust-updated.consumer';
import { SeenCertificateRow } from './chain-validation/persistence/seen-certificate.orm-entity';
import { ValidationRow } from './chain-validation/persistence/validation.orm-entity';
import { RevalidationService } from './chain-validation/revalidation.service';
import { SCHEMA, SERVICE, TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from './config';
import { TrustStoreTables1700000002000 } from './migrations/1700000002000-trust-store-tables';
import { ValidationTables1700000002100 } from './migrations/1700000002100-validation-tables';
import { ValidationPathIndex1700000002200 } from './migrations/1700000002200-validation-path-index';
import { OnIssuerCaPublishedConsumer } from './trust-store/consumers/on-issuer-ca-published.consumer';
import { TrustAuditRow } from './trust-store/persistence/trust-audit.orm-entity';
import { TrustedCertificateRow } from './trust-store/persistence/trusted-certificate.orm-entity';
import { TrustRpcResponder } from './trust-store/rpc/trust.rpc-responder';
import { TrustStoreCache } from './trust-store/trust-store.cache';
import { TrustStoreService } from './trust-store/trust-store.service';

export const TRUST_VALIDATION_ENTITIES = [TrustedCertificateRow, TrustAuditRow, ValidationRow, SeenCertificateRow];
export const TRUST_VALIDATION_MIGRATIONS = [TrustStoreTables1700000002000, ValidationTables1700000002100, ValidationPathIndex1700000002200];

/** trust-validation: the trust stores, and chain validation of every returned certificate. */
@Module({})
export class AppModule {
  /** `service` names the durable consumers and outbox; tests pass a unique one. */
  static forRoot(config: TrustValidationConfig, service: string = SERVICE): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServicePlatformModule.forService({
          name: SERVICE,
          consumerPrefix: service,
          schema: SCHEMA,
          config,
          entities: TRUST_VALIDATION_ENTITIES,
          migrations: TRUST_VALIDATION_MIGRATIONS,
        }),
      ],
      controllers: [OnCertificateIssuedConsumer, OnIssuerCaPublishedConsumer, OnTrustUpdatedConsumer],
      providers: [
        { provide: TRUST_VALIDATION_CONFIG, useValue: config },
        TrustStoreCache,
        TrustStoreService,
        ChainValidationService,
        RevalidationService,
        BrokenChainService,
        CertificateLookupService,
        TrustRpcResponder,
      ],
    };
  }
}
