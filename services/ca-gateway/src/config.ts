import { z } from 'zod';
import { BaseConfigSchema } from '@certflow/runtime';
import { deriveKeyFromSecret } from '@certflow/pki';
import { ISSUER_TYPES, isIssuerType } from './issuance/issuer-type';

const MAKE_KEY = 'make one with `openssl rand -hex 32`';
const MIN_PASSPHRASE = 16;

/**
 * Reads CERTFLOW_CA_KEY into the 32-byte key that encrypts the CA private keys at rest: 64 hex
 * digits or base64 of 32 bytes are the key itself; anything else of at least 16 characters is a
 * passphrase the key is derived from (scrypt, in libs/pki). Returns `null` for a shorter secret.
 */
export function parseCaKey(value: string): Buffer | null {
  if (value.trim().length < MIN_PASSPHRASE) return null;
  return deriveKeyFromSecret(value);
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

const ISSUER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

const Issuers = z
  .string()
  .default('internal,offline')
  .transform((value, ctx) => {
    const names = value
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n.length > 0);
    if (names.length === 0) {
      ctx.addIssue({ code: 'custom', message: `name at least one issuer, e.g. "internal,offline"` });
      return z.NEVER;
    }
    for (const name of names) {
      if (!ISSUER_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is not an issuer name (lower-case letters, digits and "-")` });
      } else if (!isIssuerType(name)) {
        // For now an issuer's type is its name; a later version lets several issuers share a type.
        ctx.addIssue({ code: 'custom', message: `unknown issuer type "${name}"; known types: ${ISSUER_TYPES.join(', ')}` });
      }
    }
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', message: 'an issuer is named twice' });
    return names;
  });

export const CaGatewayConfigSchema = BaseConfigSchema.extend({
  /** The key that encrypts the CA private keys at rest (see parseCaKey). Required. */
  CERTFLOW_CA_KEY: CaKey,
  /** Issuer names this gateway serves; an event naming another issuer fails with `UnknownIssuer`. */
  CERTFLOW_ISSUERS: Issuers,
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
});
export type CaGatewayConfig = z.infer<typeof CaGatewayConfigSchema>;

/** Injection token of the validated CaGatewayConfig. */
export const CA_GATEWAY_CONFIG = 'CA_GATEWAY_CONFIG';
