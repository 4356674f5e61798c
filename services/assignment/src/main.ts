import 'reflect-metadata';
import { createLogger, loadConfig, runMain, startService } from '@certflow/runtime';
import { AppModule } from './app.module';
import { AssignmentConfigSchema, SERVICE } from './config';

runMain(SERVICE, async () => {
  const config = loadConfig(AssignmentConfigSchema);
  return startService({
    service: SERVICE,
    // startService is typed for a module class; Nest takes the DynamicModule forRoot returns as well.
    module: AppModule.forRoot(config),
    natsUrl: config.NATS_URL,
    databaseUrl: config.DATABASE_URL,
    logger: createLogger(SERVICE, config.CERTFLOW_LOG_LEVEL),
  });
});
