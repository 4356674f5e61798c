import 'reflect-metadata';
import { ConfigError, createLogger, runMain, startService } from '@certflow/runtime';
import { AppModule, SERVICE } from './app.module';
import { loadCaGatewayConfig } from './config';
import { CaKeyCertificateMismatchError, CaKeyMismatchError } from './issuance/adapters/internal/internal-ca.material';

runMain(SERVICE, async () => {
  const config = loadCaGatewayConfig();
  try {
    return await startService({
      service: SERVICE,
      module: AppModule.forRoot(config),
      natsUrl: config.NATS_URL,
      databaseUrl: config.DATABASE_URL,
      logger: createLogger(SERVICE, config.CERTFLOW_LOG_LEVEL),
    });
  } catch (err) {
    // A wrong CERTFLOW_CA_KEY or a tampered CA row is an operator's mistake: say so in one line, not as a crash.
    if (err instanceof CaKeyMismatchError || err instanceof CaKeyCertificateMismatchError) throw new ConfigError([err.message]);
    throw err;
  }
});
