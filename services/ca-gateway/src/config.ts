import { z } from 'zod';
import { BaseConfigSchema, loadConfigWithIssuers } from '@certflow/runtime';
import { KeyEncryptionKey } from '@certflow/pki';
import { ISO_DURATION_HINT, parseIsoDuration } from '@certflow/contracts';

const MAKE_KEY = 'make one with `openssl rand -hex 32`';
const MIN_PASSPHRASE = 16;

/**
 * Reads CERTFLOW_CA_KEY into the key that encrypts the CA private keys at rest: 64 hex digits or
 * base64 of 32 bytes are the key itself; anything else of at least 16 characters is a passphrase
 * each key blob derives its key from (scrypt with the blob's own salt, in libs/pki). Returns `null`
 * for a shorter secret.
 */
export function parseCaKey(value: string): KeyEncryptionKey | null {
  if (value.trim().length < MIN_PASSPHRASE) return null;
  return KeyEncryptionKey.fromSecret(value);
}

const CaKey = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? `required: the key that encrypts the CA private keys at rest; ${MAKE_KEY}`
        : 'must be a string',
  })
  .transform((value, ctx) => {
    const key = parseCaKey(value);
    if (key) return key;
    ctx.addIssue({
      code: 'custom',
      message: `too short: give 64 hex digits, base64 of 32 bytes, or a passphrase of at least ${MIN_PASSPHRASE} characters; ${MAKE_KEY}`,
    });
    return z.NEVER;
  });

const PublicUrl = z
  .string()
  .trim()
  .refine((t) => {
    try {
      const u = new URL(t);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !t.endsWith('/') && !u.search && !u.hash && !u.username;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without a trailing slash, query or credentials, e.g. https://pki.example.com');

export const CaGatewayConfigSchema = BaseConfigSchema.extend({
  /** The key that encrypts the CA private keys at rest (see parseCaKey). Required. */
  CERTFLOW_CA_KEY: CaKey,
  /**
   * The issuers this gateway serves (an event naming another fails with `UnknownIssuer`): read and
   * checked by libs/runtime parseIssuers from CERTFLOW_ISSUERS or CERTFLOW_ISSUERS_FILE.
   */
  CERTFLOW_ISSUERS: z.string().optional(),
  CERTFLOW_ISSUERS_FILE: z.string().optional(),
  /** Port of the HTTP-01 challenge responder (ACME issuers with challenge http-01). */
  CERTFLOW_ACME_HTTP_PORT: z.coerce
    .number({ error: 'must be a TCP port (1-65535)' })
    .int('must be a TCP port (1-65535)')
    .min(1, 'must be a TCP port (1-65535)')
    .max(65535, 'must be a TCP port (1-65535)')
    .default(5002),
  /** Address the HTTP-01 responder binds; loopback unless the CA must reach it from outside. */
  CERTFLOW_ACME_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Timeout of one HTTP request to an ACME CA, in milliseconds. */
  CERTFLOW_ACME_TIMEOUT_MS: z.coerce.number({ error: 'must be milliseconds, e.g. 15000' }).int().min(100).max(300_000).default(15_000),
  /** First retry delay after a transient CA failure, in milliseconds; doubles up to the max. */
  CERTFLOW_ACME_RETRY_BASE_MS: z.coerce.number({ error: 'must be milliseconds, e.g. 1000' }).int().min(10).max(600_000).default(1000),
  /** Longest delay between two attempts, in seconds (a CA's Retry-After may ask for more). */
  CERTFLOW_ACME_RETRY_MAX_SECONDS: z.coerce.number({ error: 'must be seconds, e.g. 300' }).int().min(1).max(86_400).default(300),
  /** After this many minutes of a failing CA, a pending ACME request fails with `CaUnreachable`. */
  CERTFLOW_ACME_GIVE_UP_MINUTES: z.coerce.number({ error: 'must be minutes, e.g. 30' }).min(0.1).max(10_080).default(30),
  /** Common-name stem of the internal CA: "<name> Root CA", "<name> Issuing CA 1". */
  CERTFLOW_INTERNAL_CA_NAME: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(48, 'at most 48 characters (it becomes part of the CA common names)')
    .default('certflow Internal'),
  /** Validity of certificates the internal CA issues, in days (397: what public TLS clients accept). */
  CERTFLOW_LEAF_DAYS: z.coerce
    .number({ error: 'must be a whole number of days, e.g. 397' })
    .int('must be a whole number of days, e.g. 397')
    .min(1, 'must be at least 1 day')
    .max(3650, 'must be at most 3650 days')
    .default(397),
  /**
   * Base URL under which the request service's public /pki routes are reachable. Baked into every
   * internal-CA leaf (CRL distribution point, OCSP URL), so a change is refused at start unless
   * CERTFLOW_PUBLIC_URL_CHANGE=accept (see public-url.guard.ts).
   */
  CERTFLOW_PUBLIC_URL: PublicUrl.default('http://127.0.0.1:8080'),
  /** `accept`: start with a CERTFLOW_PUBLIC_URL other than the stored one (leaves already issued keep the old URL). */
  CERTFLOW_PUBLIC_URL_CHANGE: z.enum(['accept'], { error: 'must be "accept" or unset' }).optional(),
  /** How long a CRL the internal CA signs is valid (nextUpdate - thisUpdate); it is re-signed when half is left. */
  CERTFLOW_CRL_VALIDITY: z
    .string()
    .trim()
    .refine((t) => parseIsoDuration(t) !== null, `must be ${ISO_DURATION_HINT}`)
    .default('P7D')
    .transform((t) => parseIsoDuration(t)! * 1000),
});
/** The settings plus the issuers (libs/runtime issuers.config), every problem reported at once. */
export function loadCaGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfigWithIssuers(CaGatewayConfigSchema, env);
}
export type CaGatewayConfig = ReturnType<typeof loadCaGatewayConfig>;

/** Injection token of the validated CaGatewayConfig. */
export const CA_GATEWAY_CONFIG = 'CA_GATEWAY_CONFIG';
