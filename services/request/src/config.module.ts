import { Module, type DynamicModule } from '@nestjs/common';
import { REQUEST_CONFIG, type RequestConfig } from './config';
import { ADMIN_TOKEN } from './access/auth/token.guard';
import type { AdminTokenSource } from './access/auth/admin-token';

/**
 * What main resolved at start, to every module: the settings (REQUEST_CONFIG) and the admin token
 * (ADMIN_TOKEN, the value or the file that follows rotation). Global because the feature modules
 * read their own settings from it (RequestsModule its issuers, ConsoleModule its stream limits)
 * and stay static, so that one module can import another without a second instance of it.
 */
@Module({})
export class RequestConfigModule {
  static forRoot(config: RequestConfig, adminToken: string | AdminTokenSource): DynamicModule {
    return {
      module: RequestConfigModule,
      global: true,
      providers: [
        { provide: REQUEST_CONFIG, useValue: config },
        { provide: ADMIN_TOKEN, useValue: adminToken },
      ],
      exports: [REQUEST_CONFIG, ADMIN_TOKEN],
    };
  }
}
