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
import { buildWhenReachable, serviceDependencies } from './startup/service.dependencies';
import { startStartingServer } from './startup/starting.server';
import { StartupStatus } from './startup/startup.status';

export interface ServiceBootstrapOptions {
  /** The service's name: its durable consumer prefix, its schema, its log name. */
  service: string;
  module: Type<unknown> | DynamicModule;
  natsUrl: string;
  /** The service's PostgreSQL, waited for at start; without it only NATS is. */
  databaseUrl?: string;
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
 *
 * NATS or PostgreSQL down at start is waited out (`buildWhenReachable`), never an exit: meanwhile
 * the service's HTTP port (or metrics port) already answers `/healthz` 200 and `/readyz` 503
 * `{status:'starting', waitingFor}`. Outages once started are the connections' to ride out (NATS
 * reconnects, the pool reconnects), and `/readyz` says 503 while they last.
 */
export async function startService(opts: ServiceBootstrapOptions): Promise<INestApplication | INestMicroservice> {
  const logger = new PinoNestLogger(opts.logger);
  const delivery = deliveryPolicyOf();
  const strategy = new JetStreamServer({ servers: opts.natsUrl, service: opts.service, logger: opts.logger, ...delivery, waitForServer: true });
  warnIfRetriesEndEarly(delivery, opts.logger);
  startProcessMetrics(opts.service);
  const deps = serviceDependencies(opts);
  const status = new StartupStatus(deps.map((d) => d.name));
  // Errors reach runMain's one clear line instead of Nest calling process.exit itself.
  const nestOptions = { logger, abortOnError: false };
  const releaseSignals = exitOnSignalWhileStarting(opts, status);
  if (opts.http) {
    const placeholder = await startStartingServer({ port: opts.http.port, host: opts.http.host, status });
    let app: INestApplication | undefined;
    // A start that fails half-way must not leave the pool, NATS or the relay open.
    try {
      app = await buildWhenReachable(deps, status, opts.logger, () => NestFactory.create(opts.module, { ...nestOptions, bodyParser: false }));
      releaseSignals();
      app.enableShutdownHooks();
      // First, so every call (body parsing and errors included) has its correlation id and timing.
      app.use(httpTrace(opts.logger));
      app.useGlobalInterceptors(new HttpTraceInterceptor(opts.http.requestIdOf));
      await opts.http.configure?.(app);
      app.connectMicroservice({ strategy }, { inheritAppConfig: true });
      await app.startAllMicroservices();
      await placeholder.close();
      await app.listen(opts.http.port, opts.http.host);
    } catch (e) {
      await placeholder.close();
      await app?.close().catch(() => undefined);
      throw e;
    }
    status.markStarted();
    opts.logger.info({ url: `http://${opts.http.host}:${opts.http.port}` }, `${opts.service} listening`);
    return app;
  }
  const metrics = await serveMetrics(opts, status);
  let app: INestMicroservice | undefined;
  try {
    app = await buildWhenReachable(deps, status, opts.logger, () => NestFactory.createMicroservice(opts.module, { ...nestOptions, strategy }));
    releaseSignals();
    app.enableShutdownHooks();
    await app.listen();
  } catch (e) {
    await app?.close().catch(() => undefined);
    await metrics?.close();
    throw e;
  }
  metrics?.attach(app);
  status.markStarted();
  opts.logger.info(`${opts.service} consuming events`);
  return app;
}

/**
 * Until the app exists (and Nest's shutdown hooks take over), SIGTERM or SIGINT ends a service
 * that is still waiting for its dependencies at once, with exit code 0 and a line saying what it
 * was waiting for: there is nothing to drain yet. Returns the function that hands signals back.
 */
function exitOnSignalWhileStarting(opts: ServiceBootstrapOptions, status: StartupStatus): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    const waitingFor = status.report()?.waitingFor ?? [];
    opts.logger.info({ signal, waitingFor }, `${opts.service} stopped while starting${waitingFor.length ? ` (waiting for ${waitingFor.join(' and ')})` : ''}`);
    process.exit(0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
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
 * Starts the /metrics, /healthz, /readyz server of a service without HTTP, before the service
 * waits for its dependencies, so a supervisor sees it starting. `attach` hands it the app's
 * connections for the live checks. A busy port is logged, not fatal: a second instance on the
 * same machine still does its work, only unobserved.
 */
async function serveMetrics(
  opts: ServiceBootstrapOptions,
  status: StartupStatus,
): Promise<{ attach(app: INestMicroservice): void; close(): Promise<void> } | undefined> {
  const listen = metricsListenOf(opts.service);
  const port = opts.metricsPort ?? listen.port;
  if (port === 0) return undefined;
  let live: { ds: DataSource; nc: NatsConnection } | undefined;
  let metrics: Awaited<ReturnType<typeof startMetricsServer>>;
  try {
    metrics = await startMetricsServer({
      port,
      host: listen.host,
      ready: () => (live ? checkDependencies(live.ds, live.nc) : Promise.resolve({ postgres: false, nats: false })),
      starting: () => status.report(),
      logger: opts.logger,
    });
    // Never what keeps the process alive once Nest has shut down.
    metrics.server.unref();
    opts.logger.info({ metricsUrl: `${metrics.url}/metrics`, readyUrl: `${metrics.url}/readyz` }, `${opts.service} serving metrics`);
  } catch (err) {
    opts.logger.warn({ err, port }, 'metrics port unavailable: this instance serves no /metrics or /readyz (set CERTFLOW_METRICS_PORT)');
    return undefined;
  }
  return {
    attach: (app) => {
      live = { ds: app.get<DataSource>(DATA_SOURCE), nc: app.get<NatsConnection>(NATS_CONNECTION) };
    },
    close: () => metrics.close(),
  };
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
