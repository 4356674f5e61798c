import { z } from 'zod';
import { defineEvent } from '../envelope';
import { PemCertificate, Thumbprint, UsageRefusal } from './shared-schemas';
import { UsageSchema } from '../usages';

/** Published by assignment once the certificate is bound. Fleet agents install from it. */
export const CertificateAssignedV1 = defineEvent(
  'certflow.certificate.assigned.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    /** The usages the certificate is now bound to. */
    usages: z.array(UsageSchema),
    thumbprint: Thumbprint,
    certificate: PemCertificate,
    chain: z.array(PemCertificate),
    /** Added to the contract: usages asked for but not bound, with the reason (usage fitness). */
    notBound: z.array(UsageRefusal).optional(),
    /** Added to the contract: who asked for the assignment (from assignment.requested): a token name, or `auto`. */
    actor: z.string().optional(),
    /** Bindings this assignment took over from another certificate (a certificate.unassigned with reason `replaced` follows for it). */
    replaced: z.array(z.object({ usage: UsageSchema, thumbprint: Thumbprint })).optional(),
    /** Added to the contract (lifecycle): the request this one renews. */
    renewalOf: z.string().optional(),
    /** Added to the contract (lifecycle): the certificate's notAfter, and when its renewal window opens, as the expiry watch decided. */
    notAfter: z.string().datetime().optional(),
    renewalDueAt: z.string().datetime().optional(),
  }),
  'The certificate is bound to the host\'s usages.',
);
