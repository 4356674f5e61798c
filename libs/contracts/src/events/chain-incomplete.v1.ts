import { z } from 'zod';
import { defineEvent } from '../envelope';
import { MissingIssuer, PemCertificate, Thumbprint } from './shared-schemas';

/** Published by trust-validation when the root or an intermediate is missing. */
export const ChainIncompleteV1 = defineEvent(
  'certflow.chain.incomplete.v1',
  z.object({
    requestId: z.string(),
    thumbprint: Thumbprint,
    missing: z.array(MissingIssuer).min(1),
    reasons: z.array(z.string()),
    /**
     * Added to the contract: the certificate and chain as the CA returned them (certificate.issued's),
     * so a consumer can apply this fact even when it overtook that one.
     */
    certificate: PemCertificate.optional(),
    chain: z.array(PemCertificate).optional(),
  }),
  'The chain cannot be built to a trusted root: a root or intermediate must be imported first.',
);
