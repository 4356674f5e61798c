import { z } from 'zod';
import { defineEvent } from '../envelope';
import { MissingIssuer, Thumbprint } from './shared-schemas';
import { UsageSchema } from '../usages';

/** Published by assignment when a trust-store removal broke the chain of a certificate that is still bound. */
export const CertificateUntrustedV1 = defineEvent(
  'certflow.certificate.untrusted.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    thumbprint: Thumbprint,
    usages: z.array(UsageSchema),
    missing: z.array(MissingIssuer),
  }),
  'A bound certificate no longer validates after a root or intermediate was removed from the trust stores.',
);
