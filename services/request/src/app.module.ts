import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ServicePlatformModule, createLogger } from '@certflow/runtime';
import { REQUEST_MIGRATIONS } from './migrations';
import { SERVICE, type RequestConfig } from './config';
import { RequestConfigModule } from './config.module';
import { HttpKernelModule } from './http/http-kernel.module';
import { ErrorFilter } from './http/error.filter';
import { TokenGuard } from './access/auth/token.guard';
import type { AdminTokenSource } from './access/auth/admin-token';
import { AccessModule } from './access/access.module';
import { RequestsModule } from './certificate-request/requests.module';
import { EdgeModule } from './edge/edge.module';
import { ConsoleModule } from './console/console.module';
import { OperationsModule } from './operations/operations.module';
import { CertificateRequestRow, RequestHistoryRow } from './certificate-request/persistence/certificate-request.orm-entity';
import { SeenCertificateRow } from './edge/catalog/seen-certificate.orm-entity';
import { DeadLetterRow } from './operations/dead-letters/dead-letter.orm-entity';
import { AUDIT_TABLE } from './access/audit/audit.store';

/**
 * The request service: its feature modules over the platform (schema, NATS, clock), the http kernel,
 * and the global guard (every route needs a token unless `@Public`) and error filter.
 *
 * Where a new feature goes (renewal, revocation, inventory): a folder of its own under src/ with a
 * `<feature>.module.ts`, added to `imports` below, its entities and migrations to the platform's
 * lists. It may import http/ (the kernel), access/auth (decorators, Caller), edge/ and
 * certificate-request/ (the command and query services, exported for this); none of those may
 * import it back, and http/ imports nothing (test/architecture/request-modules.spec.ts checks both).
 */
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
          migrations: REQUEST_MIGRATIONS,
          // The audit log: the runtime database role may add and read entries, never change or remove them.
          appendOnly: [AUDIT_TABLE],
        }),
        RequestConfigModule.forRoot(config, adminToken),
        HttpKernelModule.forRoot(createLogger(SERVICE, config.CERTFLOW_LOG_LEVEL)),
        RequestsModule,
        AccessModule,
        EdgeModule,
        ConsoleModule,
        OperationsModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: TokenGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
