import { z } from 'zod';
import { defineEvent } from '../envelope';
import { PemCertificate, Thumbprint } from './shared-schemas';

/** Published by trust-validation. The only fact that makes a request assignable. */
export const ChainCompleteV1 = defineEvent(
  'certflow.chain.complete.v1',
  z.object({
    requestId: z.string(),
    thumbprint: Thumbprint,
    /** Thumbprints from the leaf to a trusted root. */
    path: z.array(Thumbprint).min(1),
    /** The path's certificates, leaf first, PEM (added to the contract: assignment needs them). */
    pathPem: z.array(z.string()).optional(),
    /**
     * Added to the contract: the certificate and chain as the CA returned them (certificate.issued's),
     * so a consumer can apply this fact even when it overtook that one.
     */
    certificate: PemCertificate.optional(),
    chain: z.array(PemCertificate).optional(),
    /** True when the chain was completed by a trust-store import after it had been incomplete. */
    revalidated: z.boolean().optional(),
  }),
  'The certificate chains to a trusted root and is valid now: the request may be assigned.',
);
