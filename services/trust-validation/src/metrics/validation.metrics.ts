import { counter } from '@certflow/runtime';

/**
 * `certflow_validation_outcomes_total{outcome}`: chain validations recorded, by result —
 * `complete` (a path to a trusted root), `incomplete` (an issuer is missing from the stores) or
 * `invalid` (the certificate cannot be used). Revalidations after a trust-store change count too.
 */
export const validationOutcomes = counter({
  name: 'certflow_validation_outcomes_total',
  help: 'Chain validations recorded, by outcome (complete, incomplete, invalid)',
  labelNames: ['outcome'] as const,
});
