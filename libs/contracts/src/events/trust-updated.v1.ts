import { z } from 'zod';
import { defineEvent } from '../envelope';
import { Thumbprint } from './shared-schemas';

/** Published by trust-validation on every change of a trust store. */
export const TrustUpdatedV1 = defineEvent(
  'certflow.trust.updated.v1',
  z.object({
    store: z.enum(['roots', 'intermediates']),
    action: z.enum(['imported', 'removed']),
    thumbprint: Thumbprint,
    subject: z.string(),
    /** Added to the contract: who made the change (token name), when absent the system itself. */
    actor: z.string().optional(),
  }),
  'A root or intermediate was imported into, or removed from, a trust store.',
);
