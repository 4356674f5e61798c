import 'reflect-metadata';
import { createLogger, loadConfig, runMain, startService } from '@certflow/runtime';
import { AppModule, SERVICE } from './app.module';
import { CaGatewayConfigSchema } from './config';

runMain(SERVICE, async () => {
  const config = loadConfig(CaGatewayConfigSchema);
  return startService({
    service: SERVICE,
    module: AppModule.forRoot(config),
    natsUrl: config.NATS_URL,
    logger: createLogger(SERVICE, config.CERTFLOW_LOG_LEVEL),
  });
});
