import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { openServiceDataSource } from './service-data-source.factory';
import type { ServiceDatabaseOptions } from './service-database.options';

/**
 * Nest injection token of the service's TypeORM `DataSource` (opened by `openServiceDataSource`).
 * The `DataSource` class is registered as a token too, as an alias of the same instance.
 */
export const DATA_SOURCE = Symbol.for('certflow.persistence.DataSource');

/** Destroys the DataSource when the application shuts down, after the transports have drained. */
@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * A service's database in Nest: one global `DataSource` over the service's own schema, migrated at
 * start and closed at shutdown. Import it once, in the service's root module.
 */
@Global()
@Module({})
export class PersistenceModule {
  /**
   * `opts` may be a function, so configuration is read when the module is built rather than when
   * the file is imported (tests set the environment first). It may return a promise.
   */
  static forService(
    opts: ServiceDatabaseOptions | (() => ServiceDatabaseOptions | Promise<ServiceDatabaseOptions>),
  ): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DATA_SOURCE,
          useFactory: async () => openServiceDataSource(typeof opts === 'function' ? await opts() : opts),
        },
        { provide: DataSource, useExisting: DATA_SOURCE },
        DataSourceCloser,
      ],
      exports: [DATA_SOURCE, DataSource],
    };
  }
}
