import pino from 'pino';
import { currentTrace } from '@certflow/contracts';

/**
 * The log calls messaging makes. A pino logger fits (it is what services pass); each call is
 * `(fields, message)` so lines stay structured JSON.
 */
export interface MessagingLogger {
  debug(...args: any[]): void;
  info(...args: any[]): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
}

/** The logger used when none is given: JSON lines on stdout named after the service. */
export function defaultLogger(name: string): MessagingLogger {
  return pino({ name, level: process.env.CERTFLOW_LOG_LEVEL ?? 'info', mixin: () => ({ ...currentTrace() }) });
}

/** The message of an error, or its string form, for log lines and dead letters. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  try {
    return typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    return String(err);
  }
}
