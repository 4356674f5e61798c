import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { traceMixin } from './logging/log-context';

/** Paths that must never reach a log line: bearer tokens, keys, passphrases. */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'privateKey',
  '*.privateKey',
  'key',
  '*.encryptionKey',
];

/** A JSON logger for one service (pino). */
export function createLogger(service: string, level = process.env.CERTFLOW_LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  // mixin: every line written while handling a request or event names it (logging/log-context).
  return pino({ name: service, level, base: { service }, mixin: traceMixin, redact: { paths: REDACT, censor: '[redacted]' } }, destination as DestinationStream);
}

/** Routes NestJS's own logging into the service's pino logger, so every line is JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
