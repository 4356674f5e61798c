import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, raw } from 'express';
import { NATS_CONNECTION, type NatsConnection } from '@certflow/messaging';
import { BATCH_ROUTE, refuseDeepJson } from './body-limits';
import { OCSP_REQUEST_LIMIT, PKI_ROUTE } from '../edge/pki/pki.controller';
import { assertBodyLimitFitsNats } from './nats-payload.check';

/**
 * Body limits (`limit`: CERTFLOW_MAX_BODY_BYTES; `batchLimit`: CERTFLOW_MAX_BATCH_BODY_BYTES, for
 * POST /api/v1/requests/batch alone), the OpenAPI document (generated from the
 * controllers) and Swagger UI. Throws ConfigError when the body limit exceeds what NATS carries;
 * called before any consumer starts. Takes the limit, not the service's config, so that the kernel
 * imports nothing of the service.
 */
export function configureHttp(app: INestApplication, limit: number, batchLimit = 8 * 1024 * 1024): void {
  const express = app as NestExpressApplication;
  assertBodyLimitFitsNats(limit, app.get<NatsConnection>(NATS_CONNECTION));
  // Before the general parser, which then leaves the body it finds parsed alone.
  express.use(BATCH_ROUTE, json({ limit: batchLimit }));
  // OCSP requests are DER: kept as bytes, small (a relying party asks about a few certificates).
  express.use(PKI_ROUTE, raw({ type: 'application/ocsp-request', limit: OCSP_REQUEST_LIMIT }));
  express.useBodyParser('json', { limit });
  express.use(refuseDeepJson);
  express.useBodyParser('text', { limit, type: ['text/plain', 'application/x-pem-file', 'application/pkix-cert', 'application/x-x509-ca-cert'] });
  express.disable('x-powered-by');
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
