import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplication, INestMicroservice, Type } from '@nestjs/common';
import { JetStreamServer } from '@certflow/messaging';
import type { Logger } from 'pino';
import { ConfigError } from './config';
import { PinoNestLogger } from './logger';

export interface ServiceBootstrapOptions {
  /** The service's name: its durable consumer prefix, its schema, its log name. */
  service: string;
  module: Type<unknown> | DynamicModule;
  natsUrl: string;
  logger: Logger;
  /** Present for the one service that serves HTTP. */
  http?: { port: number; host: string; configure?: (app: INestApplication) => void | Promise<void> };
}

/**
 * Starts a service: its NestJS app, its JetStream consumers, and clean shutdown on SIGINT/SIGTERM
 * (consumers drained, outbox relay stopped, connections closed).
 */
export async function startService(opts: ServiceBootstrapOptions): Promise<INestApplication | INestMicroservice> {
  const logger = new PinoNestLogger(opts.logger);
  const strategy = new JetStreamServer({ servers: opts.natsUrl, service: opts.service, logger: opts.logger });
  if (opts.http) {
    const app = await NestFactory.create(opts.module, { logger, bodyParser: false });
    app.enableShutdownHooks();
    // A start that fails half-way must not leave the pool, NATS or the relay open.
    try {
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
  return app;
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
