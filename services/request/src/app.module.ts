import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ServicePlatformModule, createLogger } from '@certflow/runtime';
import { FactSignals } from '@certflow/messaging';
import { SERVICE, REQUEST_CONFIG, type RequestConfig } from './config';
import { ErrorFilter, HTTP_LOGGER } from './http/error.filter';
import { ADMIN_TOKEN, TokenGuard } from './access/auth/token.guard';
import type { AdminTokenSource } from './access/auth/admin-token';
import { CertificateRequestRow, RequestHistoryRow } from './certificate-request/persistence/certificate-request.orm-entity';
import { SeenCertificateRow } from './edge/catalog/seen-certificate.orm-entity';
import { RequestTables1700000001000 } from './migrations/1700000001000-request-tables';
import { RequestVersion1700000005000 } from './migrations/1700000005000-request-version';
import { Access1700000003000 } from './migrations/1700000003000-access';
import { DeadLetters1700000004000 } from './migrations/1700000004000-dead-letters';
import { HostEvents1700000006400 } from './migrations/1700000006400-host-events';
import { HOST_EVENT_SIGNALS, HostEventStore } from './edge/host-events/host-event.store';
import { HostEventFeed } from './edge/host-events/host-event.feed';
import { HostEventsController } from './edge/host-events/host-events.controller';
import { HostEventsConsumer } from './edge/host-events/host-events.consumer';
import { DeadLetterRow } from './operations/dead-letters/dead-letter.orm-entity';
import { DeadLettersConsumer } from './operations/dead-letters/dead-letters.consumer';
import { DeadLettersController } from './operations/dead-letters/dead-letters.controller';
import { DeadLettersQuery } from './operations/dead-letters/dead-letters.query';
import { TokenStore } from './access/tokens/token.store';
import { TokensService } from './access/tokens/tokens.service';
import { TokensController } from './access/tokens/tokens.controller';
import { AUDIT_TABLE, AuditStore } from './access/audit/audit.store';
import { AuditController } from './access/audit/audit.controller';
import { AuditFactsConsumer } from './access/audit/audit-facts.consumer';
import { PgRequestHostLookup, REQUEST_HOST_LOOKUP } from './access/auth/request-host.lookup';
import { RequestCommandService } from './certificate-request/commands/request-command.service';
import { ISSUERS, SubmitRequestHandler } from './certificate-request/commands/submit-request/submit-request.handler';
import { AssignRequestHandler } from './certificate-request/commands/assign-request/assign-request.handler';
import { OFFLINE_ISSUERS, UploadCertificateHandler } from './certificate-request/commands/upload-certificate/upload-certificate.handler';
import { RequestQueryService } from './certificate-request/http/request-query.service';
import { RequestsController } from './certificate-request/http/requests.controller';
import { RequestFactsConsumer } from './certificate-request/consumers/request-facts.consumer';
import { CertificateCatalogService } from './edge/catalog/certificate-catalog.service';
import { CertificatesController } from './edge/catalog/certificates.controller';
import { TrustController } from './edge/trust/trust.controller';
import { HostsController } from './edge/hosts/hosts.controller';
import { HealthController } from './operations/health/health.controller';
import { ISSUER_CONFIGS, IssuersController } from './edge/issuers/issuers.controller';
import { ConsoleController } from './console/console.controller';
import { ConsoleEventsController } from './console/console-events.controller';
import { ConsoleEventsService } from './console/console-events.service';
import { ConsoleStreams } from './console/console-streams.registry';
import { MetricsController, RequestMetricsBinder } from './operations/metrics/metrics.controller';

@Module({})
export class AppModule {
  static forRoot(config: RequestConfig, adminToken: string | AdminTokenSource): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServicePlatformModule.forService({
          name: SERVICE,
          schema: 'request',
          config,
          entities: [CertificateRequestRow, RequestHistoryRow, SeenCertificateRow, DeadLetterRow],
          migrations: [RequestTables1700000001000, Access1700000003000, DeadLetters1700000004000, RequestVersion1700000005000, HostEvents1700000006400],
          // The audit log: the runtime database role may add and read entries, never change or remove them.
          appendOnly: [AUDIT_TABLE],
        }),
      ],
      controllers: [RequestsController, CertificatesController, TrustController, HostsController, IssuersController, HealthController, MetricsController, RequestFactsConsumer, ConsoleController, ConsoleEventsController, TokensController, AuditController, AuditFactsConsumer, DeadLettersController, DeadLettersConsumer, HostEventsController, HostEventsConsumer],
      providers: [
        { provide: REQUEST_CONFIG, useValue: config },
        { provide: ADMIN_TOKEN, useValue: adminToken },
        { provide: ISSUER_CONFIGS, useValue: config.issuers },
        { provide: ISSUERS, useValue: config.issuers.map((i) => i.name) },
        { provide: OFFLINE_ISSUERS, useValue: config.issuers.filter((i) => i.type === 'offline').map((i) => i.name) },
        { provide: HTTP_LOGGER, useValue: createLogger(SERVICE, config.CERTFLOW_LOG_LEVEL) },
        { provide: APP_GUARD, useClass: TokenGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
        RequestCommandService,
        FactSignals,
        // Its own instance: hosts and request ids are different keys.
        { provide: HOST_EVENT_SIGNALS, useValue: new FactSignals() },
        HostEventStore,
        HostEventFeed,
        SubmitRequestHandler,
        AssignRequestHandler,
        UploadCertificateHandler,
        RequestQueryService,
        DeadLettersQuery,
        CertificateCatalogService,
        ConsoleEventsService,
        ConsoleStreams,
        RequestMetricsBinder,
        TokenStore,
        TokensService,
        AuditStore,
        { provide: REQUEST_HOST_LOOKUP, useClass: PgRequestHostLookup },
      ],
    };
  }
}
