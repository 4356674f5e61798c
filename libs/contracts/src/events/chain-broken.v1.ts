import { z } from 'zod';
import { defineEvent } from '../envelope';
import { MissingIssuer, Thumbprint } from './shared-schemas';

/**
 * Added to the contract (revocation item "trust changes reach bindings"). Published by
 * trust-validation when a certificate it had declared chain-complete no longer validates because a
 * root or intermediate was removed. assignment turns it into certificate.untrusted for what is bound.
 */
export const ChainBrokenV1 = defineEvent(
  'certflow.chain.broken.v1',
  z.object({
    requestId: z.string(),
    thumbprint: Thumbprint,
    missing: z.array(MissingIssuer),
    /** The thumbprint of the trust-store certificate whose removal broke the chain. */
    removed: Thumbprint,
  }),
  'A certificate that was chain-complete no longer reaches a trusted root after a trust-store removal.',
);
