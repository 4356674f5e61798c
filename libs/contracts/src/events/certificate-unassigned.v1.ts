import { z } from 'zod';
import { defineEvent } from '../envelope';
import { Thumbprint } from './shared-schemas';
import { UsageSchema } from '../usages';

/**
 * Published by assignment when bindings of a certificate are released: taken over by another
 * certificate (`replaced`, right after that one's certificate.assigned), or revoked.
 */
export const CertificateUnassignedV1 = defineEvent(
  'certflow.certificate.unassigned.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    thumbprint: Thumbprint,
    /** The usages released by this event. */
    usages: z.array(UsageSchema).min(1),
    /** Added to the contract: `untrusted`, when CERTFLOW_RELEASE_UNTRUSTED releases a certificate a trust-store removal broke. */
    reason: z.enum(['replaced', 'revoked', 'untrusted']),
    /** Added to the contract: the usages this certificate is still bound to afterwards (none: it is bound nowhere). */
    remaining: z.array(UsageSchema).optional(),
    /** Added to the contract: for `replaced`, the request and certificate that took the bindings over. */
    replacedBy: z.object({ requestId: z.string(), thumbprint: Thumbprint }).optional(),
  }),
  'Bindings of a certificate were released: replaced by another certificate (its renewal, as a rule) or revoked.',
);
