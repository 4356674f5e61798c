import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { NATS_CONNECTION, type NatsConnection } from '@certflow/messaging';
import type { RequestConfig } from '../config';
import { CONSOLE_ASSETS, setConsoleHeaders } from '../console/console.assets';
import { refuseDeepJson } from './body-limits';
import { assertBodyLimitFitsNats } from './nats-payload.check';

/**
 * Body limits, the OpenAPI document (generated from the controllers) and Swagger UI. Throws
 * ConfigError when the body limit exceeds what NATS carries; called before any consumer starts.
 */
export function configureHttp(app: INestApplication, config: RequestConfig): void {
  const express = app as NestExpressApplication;
  const limit = config.CERTFLOW_MAX_BODY_BYTES;
  assertBodyLimitFitsNats(limit, app.get<NatsConnection>(NATS_CONNECTION));
  express.useBodyParser('json', { limit });
  express.use(refuseDeepJson);
  express.useBodyParser('text', { limit, type: ['text/plain', 'application/x-pem-file', 'application/pkix-cert', 'application/x-x509-ca-cert'] });
  express.disable('x-powered-by');
  // The console's scripts and stylesheet (the page itself is ConsoleController at `/`).
  express.useStaticAssets(CONSOLE_ASSETS, { prefix: '/console/', index: false, redirect: false, setHeaders: setConsoleHeaders });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('certflow')
      .setDescription('Certificate operations for server fleets: request, issue, validate the chain, assign. See CONTRACT.md and docs/events.md.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });
}
