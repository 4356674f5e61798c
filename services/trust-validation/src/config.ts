import { z } from 'zod';
import { BaseConfigSchema } from '@certflow/runtime';

/** Default of CERTFLOW_MAX_CHAIN_CERTIFICATES: a public CA's chain has 1 to 3; 10 leaves room for cross-signs. */
export const DEFAULT_MAX_CHAIN_CERTIFICATES = 10;

/** The trust-validation service's settings, all from the environment. */
export const TrustValidationConfigSchema = BaseConfigSchema.extend({
  /**
   * How long a cached copy of the trust stores may be used without re-reading it. Changes are pushed
   * to every instance (certflow.trust.updated.v1); this is only the safety net for a missed message.
   */
  CERTFLOW_TRUST_CACHE_TTL_MS: z.coerce
    .number()
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0 (no cache) or more milliseconds')
    .max(3_600_000, 'must be at most 3600000 (one hour)')
    .default(30_000),
  /** How many waiting validations one re-validation batch reads at a time after an import. */
  CERTFLOW_REVALIDATION_BATCH: z.coerce.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(100),
  /** Most certificates one trust-store import may carry (counted before any is parsed). */
  CERTFLOW_TRUST_IMPORT_MAX_CERTIFICATES: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50),
  /**
   * Most certificates a CA's `chain` may carry beside the issued certificate (counted before any is
   * parsed); a longer one fails validation with `ChainTooLong`.
   */
  CERTFLOW_MAX_CHAIN_CERTIFICATES: z.coerce
    .number({ error: 'must be a whole number of certificates from 1 to 100, e.g. 10' })
    .int('must be a whole number of certificates from 1 to 100, e.g. 10')
    .min(1, 'must be at least 1 (a CA sends at least its issuing CA certificate)')
    .max(100, 'must be at most 100')
    .default(DEFAULT_MAX_CHAIN_CERTIFICATES),
});
export type TrustValidationConfig = z.infer<typeof TrustValidationConfigSchema>;

export const SERVICE = 'trust-validation';
export const SCHEMA = 'trust_validation';
/** Injection token of the loaded configuration. */
export const TRUST_VALIDATION_CONFIG = 'TRUST_VALIDATION_CONFIG';
