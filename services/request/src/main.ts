import 'reflect-metadata';
import { createLogger, runMain, startService } from '@certflow/runtime';
import { loadRequestConfig, SERVICE } from './config';
import { AppModule } from './app.module';
import { resolveAdminToken } from './access/auth/admin-token';
import { configureHttp } from './http/configure-http';
import { serveConsoleAssets } from './console/console.assets';

runMain(SERVICE, async () => {
  const config = loadRequestConfig();
  const logger = createLogger(SERVICE, config.CERTFLOW_LOG_LEVEL);
  const admin = resolveAdminToken(config.CERTFLOW_ADMIN_TOKEN, config.CERTFLOW_STATE_DIR, { onProblem: (message) => logger.error(message) });
  if (admin.path) logger.info({ tokenFile: admin.path }, 'admin token is in this file (mode 0600; `certflow tokens rotate-admin` replaces it)');
  await startService({
    service: SERVICE,
    module: AppModule.forRoot(config, admin.source),
    natsUrl: config.NATS_URL,
    databaseUrl: config.DATABASE_URL,
    logger,
    http: {
      port: config.CERTFLOW_HTTP_PORT,
      host: config.CERTFLOW_HTTP_HOST,
      configure: (app) => {
        configureHttp(app, config.CERTFLOW_MAX_BODY_BYTES, config.CERTFLOW_MAX_BATCH_BODY_BYTES);
        serveConsoleAssets(app);
      },
      // Calls about one request (`/api/v1/requests/:id…`) log its id as `requestId`.
      requestIdOf: (req) => (req.route?.path?.startsWith('/api/v1/requests/:id') ? req.params?.id : undefined),
    },
  });
});
