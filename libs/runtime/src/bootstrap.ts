import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplication, INestMicroservice, Type } from '@nestjs/common';
import { DEFAULT_ACK_WAIT_MS, JetStreamServer, NATS_CONNECTION, type DeliveryPolicy, type NatsConnection } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigError } from './config';
import { deliveryPolicyOf, retrySpanMs } from './delivery.config';
import { PinoNestLogger } from './logger';
import { HttpTraceInterceptor, httpTrace } from './logging/http-trace';
import { metricsListenOf } from './metrics/metrics.config';
import { startMetricsServer } from './metrics/metrics.server';
import { startProcessMetrics } from './metrics/process.metrics';
import { checkDependencies } from './metrics/readiness';

export interface ServiceBootstrapOptions {
  /** The service's name: its durable consumer prefix, its schema, its log name. */
  service: string;
  module: Type<unknown> | DynamicModule;
  natsUrl: string;
  logger: Logger;
  /** Present for the one service that serves HTTP. */
  http?: {
    port: number;
    host: string;
    configure?: (app: INestApplication) => void | Promise<void>;
    /** The certificate request a call is about (e.g. the `:id` of `/api/v1/requests/:id`), for its log lines. */
    requestIdOf?: (req: { route?: { path?: string }; params?: Record<string, string> }) => string | undefined;
  };
  /** Port of /metrics, /healthz, /readyz for a service without HTTP; default CERTFLOW_METRICS_PORT or the service's (0 = none). */
  metricsPort?: number;
}

/**
 * Starts a service: its NestJS app, its JetStream consumers, and clean shutdown on SIGINT/SIGTERM
 * (consumers drained, outbox relay stopped, connections closed).
 */
export async function startService(opts: ServiceBootstrapOptions): Promise<INestApplication | INestMicroservice> {
  const logger = new PinoNestLogger(opts.logger);
  const delivery = deliveryPolicyOf();
  const strategy = new JetStreamServer({ servers: opts.natsUrl, service: opts.service, logger: opts.logger, ...delivery });
  warnIfRetriesEndEarly(delivery, opts.logger);
  startProcessMetrics(opts.service);
  if (opts.http) {
    const app = await NestFactory.create(opts.module, { logger, bodyParser: false });
    app.enableShutdownHooks();
    // A start that fails half-way must not leave the pool, NATS or the relay open.
    try {
      // First, so every call (body parsing and errors included) has its correlation id and timing.
      app.use(httpTrace(opts.logger));
      app.useGlobalInterceptors(new HttpTraceInterceptor(opts.http.requestIdOf));
      await opts.http.configure?.(app);
      app.connectMicroservice({ strategy }, { inheritAppConfig: true });
      await app.startAllMicroservices();
      await app.listen(opts.http.port, opts.http.host);
    } catch (e) {
      await app.close().catch(() => undefined);
      throw e;
    }
    opts.logger.info({ url: `http://${opts.http.host}:${opts.http.port}` }, `${opts.service} listening`);
    return app;
  }
  const app = await NestFactory.createMicroservice(opts.module, { strategy, logger });
  app.enableShutdownHooks();
  try {
    await app.listen();
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
  opts.logger.info(`${opts.service} consuming events`);
  await serveMetrics(app, opts);
  return app;
}

/**
 * A "not yet" fact may wait on a message held by an instance that crashed, which comes back only
 * after ackWait: retries that end sooner dead-letter the waiting fact and leave its request stuck.
 * Allowed (tests want quick dead letters), but said at start.
 */
function warnIfRetriesEndEarly(policy: DeliveryPolicy, logger: Logger): void {
  const span = retrySpanMs(policy);
  if (span >= DEFAULT_ACK_WAIT_MS) return;
  logger.warn(
    { maxDeliver: policy.maxDeliver, backoffMs: policy.backoffMs, retrySpanMs: span },
    `CERTFLOW_MAX_DELIVER and CERTFLOW_RETRY_BACKOFF_MS give up on a message after ${span} ms of retries, less than the ${DEFAULT_ACK_WAIT_MS} ms after which a crashed instance's messages are redelivered; a fact waiting on one of those may be dead-lettered`,
  );
}

/**
 * Starts the /metrics, /healthz, /readyz server of a service without HTTP. A busy port is logged,
 * not fatal: a second instance on the same machine still does its work, only unobserved.
 */
async function serveMetrics(app: INestMicroservice, opts: ServiceBootstrapOptions): Promise<void> {
  const listen = metricsListenOf(opts.service);
  const port = opts.metricsPort ?? listen.port;
  if (port === 0) return;
  const ds = app.get<DataSource>(DATA_SOURCE);
  const nc = app.get<NatsConnection>(NATS_CONNECTION);
  try {
    const metrics = await startMetricsServer({ port, host: listen.host, ready: () => checkDependencies(ds, nc), logger: opts.logger });
    // Never what keeps the process alive once Nest has shut down.
    metrics.server.unref();
    opts.logger.info({ metricsUrl: `${metrics.url}/metrics`, readyUrl: `${metrics.url}/readyz` }, `${opts.service} serving metrics`);
  } catch (err) {
    opts.logger.warn({ err, port }, 'metrics port unavailable: this instance serves no /metrics or /readyz (set CERTFLOW_METRICS_PORT)');
  }
}

/** Runs `main`, turning a configuration or start-up failure into one clear line and exit code. */
export function runMain(service: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\nFix the environment variables above and start again.\n`);
      process.exit(2);
    }
    const message = err instanceof Error ? err.stack ?? err.message : String(err);
    process.stderr.write(
      JSON.stringify({ level: 60, service, msg: `${service} failed to start`, err: message, time: Date.now() }) + '\n',
    );
    process.exit(1);
  });
}
