import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { HTTP_LOGGER } from './http-logger';

/**
 * Provides {@link HTTP_LOGGER} to every module of the app. Global: the kernel is everyone's, and a
 * module that needs only the logger should not have to import anything for it.
 */
@Module({})
export class HttpKernelModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: HttpKernelModule, global: true, providers: [{ provide: HTTP_LOGGER, useValue: logger }], exports: [HTTP_LOGGER] };
  }
}
