import { z } from 'zod';
import { defineEvent } from '../envelope';
import { MissingIssuer, Thumbprint } from './shared-schemas';

/** Published by trust-validation when the root or an intermediate is missing. */
export const ChainIncompleteV1 = defineEvent(
  'certflow.chain.incomplete.v1',
  z.object({
    requestId: z.string(),
    thumbprint: Thumbprint,
    missing: z.array(MissingIssuer).min(1),
    reasons: z.array(z.string()),
  }),
  'The chain cannot be built to a trusted root: a root or intermediate must be imported first.',
);
