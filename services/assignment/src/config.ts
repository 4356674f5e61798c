import { z } from 'zod';
import { BaseConfigSchema } from '@certflow/runtime';

/** The assignment service's settings, all from the environment. */
export const AssignmentConfigSchema = BaseConfigSchema.extend({
  /**
   * First wait before looking again when an assignment is asked for before this service has seen
   * chain.complete for the certificate (the two events travel on separate consumers); it doubles
   * with each attempt, up to 30 s.
   */
  CERTFLOW_ASSIGNMENT_RETRY_MS: z.coerce
    .number()
    .int('must be a whole number of milliseconds')
    .min(10, 'must be at least 10 milliseconds')
    .max(600_000, 'must be at most 600000 (ten minutes)')
    .default(500),
});
export type AssignmentConfig = z.infer<typeof AssignmentConfigSchema>;

export const SERVICE = 'assignment';
export const SCHEMA = 'assignment';
/** Injection token of the loaded configuration. */
export const ASSIGNMENT_CONFIG = 'ASSIGNMENT_CONFIG';
