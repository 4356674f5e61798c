import { z } from 'zod';
import { defineEvent } from '../envelope';
import { PemCertificate } from './shared-schemas';

/**
 * Added to the contract. Published by ca-gateway when an issuer's CA certificates come into being
 * (the internal CA at first start). trust-validation puts the roots in its root store, as an
 * enterprise CA's root is published to the fleet it serves.
 */
export const IssuerCaPublishedV1 = defineEvent(
  'certflow.issuer.ca-published.v1',
  z.object({
    issuer: z.string(),
    roots: z.array(PemCertificate),
    intermediates: z.array(PemCertificate),
  }),
  "An issuer's CA certificates were created or changed; its roots are to be trusted.",
);
