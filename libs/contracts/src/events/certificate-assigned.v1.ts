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
  }),
  'The certificate is bound to the host\'s usages.',
);
