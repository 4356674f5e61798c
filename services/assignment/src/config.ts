import { z } from 'zod';
import { DEFAULT_EXPIRY_WARN_DAYS, ISO_DURATION_HINT, parseIsoDuration } from '@certflow/contracts';
import { BaseConfigSchema } from '@certflow/runtime';

/** A comma list of whole days, e.g. `30,14,7,1`: distinct, positive, kept largest first. */
const WarnDaysSchema = z
  .string()
  .trim()
  .regex(/^\d+(\s*,\s*\d+)*$/, 'must be a comma list of whole numbers of days, e.g. 30,14,7,1')
  .transform((text) => [...new Set(text.split(',').map((d) => Number(d.trim())))].sort((a, b) => b - a))
  .refine((days) => days.every((d) => d > 0 && d <= 3650), 'every threshold must be between 1 and 3650 days');

/** The assignment service's settings, all from the environment. */
export const AssignmentConfigSchema = BaseConfigSchema.extend({
  /** How long before notAfter renewal-due goes out, for requests that do not say; unset: one third of the lifetime. */
  CERTFLOW_RENEW_BEFORE: z
    .string()
    .trim()
    .refine((t) => parseIsoDuration(t) !== null, `must be ${ISO_DURATION_HINT}`)
    .optional(),
  /** Days before notAfter at which certificate.expiring goes out. */
  CERTFLOW_EXPIRY_WARN_DAYS: WarnDaysSchema.default(() => [...DEFAULT_EXPIRY_WARN_DAYS]),
  /** Time between two rounds of the expiry watch when nothing more is due. */
  CERTFLOW_WATCH_INTERVAL_MS: z.coerce
    .number()
    .int('must be a whole number of milliseconds')
    .min(50, 'must be at least 50 (milliseconds)')
    .max(86_400_000, 'must be at most 86400000 (a day)')
    .default(30_000),
  /**
   * When a trust-store removal breaks a bound certificate's chain: `false` (default) only reports it
   * (certificate.untrusted) and keeps the bindings, since releasing takes the certificate off its
   * hosts at once; `true` also releases them (certificate.unassigned, reason untrusted).
   */
  CERTFLOW_RELEASE_UNTRUSTED: z
    .enum(['true', 'false'], { error: 'must be true (release bindings whose chain a trust-store removal broke) or false (report only)' })
    .default('false')
    .transform((v) => v === 'true'),
});
export type AssignmentConfig = z.infer<typeof AssignmentConfigSchema>;

export const SERVICE = 'assignment';
export const SCHEMA = 'assignment';
/** Injection token of the loaded configuration. */
export const ASSIGNMENT_CONFIG = 'ASSIGNMENT_CONFIG';
