import { z } from 'zod';
import { BaseConfigSchema, loadConfigWithIssuers } from '@certflow/runtime';

/** The request service's settings, all from the environment (see README "Configuration"). */
export const RequestConfigSchema = BaseConfigSchema.extend({
  CERTFLOW_HTTP_PORT: z.coerce.number().int().min(1, 'must be a TCP port (1-65535)').max(65535, 'must be a TCP port (1-65535)').default(8080),
  CERTFLOW_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Fixed admin token; when absent one is generated on first start into <state dir>/admin.token. */
  CERTFLOW_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters (e.g. `openssl rand -hex 32`)').optional(),
  CERTFLOW_STATE_DIR: z.string().min(1).default('.certflow'),
  /**
   * The issuers (same setting as ca-gateway): read and checked by loadRequestConfig through
   * libs/runtime parseIssuers, which also reads CERTFLOW_ISSUERS_FILE.
   */
  CERTFLOW_ISSUERS: z.string().optional(),
  CERTFLOW_ISSUERS_FILE: z.string().optional(),
  /** Largest accepted request body, in bytes. */
  CERTFLOW_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(256 * 1024),
  /**
   * Largest body of POST /api/v1/requests/batch, in bytes (1,000 submissions of a few KiB each fit
   * the default). Not bound by NATS: each item travels as its own event, and a CSR is at most 64 KiB.
   */
  CERTFLOW_MAX_BATCH_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Open live event streams (GET /api/v1/events/stream) one token may hold on this instance. */
  CERTFLOW_SSE_MAX_PER_TOKEN: z.coerce.number().int().min(1, 'must be at least 1').max(10_000).default(5),
  /** Open live event streams on this instance, all tokens together. */
  CERTFLOW_SSE_MAX_STREAMS: z.coerce.number().int().min(1, 'must be at least 1').max(100_000).default(500),
  /** First wait before a failed automatic ('Never') renewal is submitted again, in ms; doubled per failure. */
  CERTFLOW_RENEWAL_RETRY_MIN_MS: z.coerce.number().int().min(1, 'must be a whole number of milliseconds, at least 1').default(300_000),
  /** Longest wait between two attempts of a failed renewal, in ms (before the jitter of ×0.5–1.5). */
  CERTFLOW_RENEWAL_RETRY_MAX_MS: z.coerce.number().int().min(1, 'must be a whole number of milliseconds, at least 1').default(21_600_000),
  /** How often the renewal retry job looks for due retries, in ms. */
  CERTFLOW_RENEWAL_RETRY_INTERVAL_MS: z.coerce.number().int().min(50, 'must be at least 50 ms').default(30_000),
}).refine((c) => c.CERTFLOW_RENEWAL_RETRY_MAX_MS >= c.CERTFLOW_RENEWAL_RETRY_MIN_MS, {
  message: 'CERTFLOW_RENEWAL_RETRY_MAX_MS must be at least CERTFLOW_RENEWAL_RETRY_MIN_MS',
  path: ['CERTFLOW_RENEWAL_RETRY_MAX_MS'],
});
/** The settings plus the issuers; every problem is reported at once. */
export function loadRequestConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfigWithIssuers(RequestConfigSchema, env, { secrets: false });
}
export type RequestConfig = ReturnType<typeof loadRequestConfig>;
export const REQUEST_CONFIG = 'REQUEST_CONFIG';
export const SERVICE = 'request';
