import { z } from 'zod';
import { defineEvent } from '../envelope';
import { Thumbprint } from './shared-schemas';
import { RevocationReasonSchema } from '../revocation';

/** Published by ca-gateway once the certificate is revoked at its CA (or recorded, for an offline CA). */
export const CertificateRevokedV1 = defineEvent(
  'certflow.certificate.revoked.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    thumbprint: Thumbprint,
    reason: RevocationReasonSchema,
    revokedAt: z.string().datetime(),
    /**
     * Added to the contract: where the revocation is known. `crl-ocsp`: certflow's internal CA
     * publishes it; `acme`: the ACME CA accepted revokeCert; `manual`: recorded in certflow only,
     * an operator must revoke it at the (offline) CA.
     */
    atCa: z.enum(['crl-ocsp', 'acme', 'manual']).optional(),
    /** Added to the contract: the certificate's serial number, hex upper-case. */
    serialNumber: z.string().optional(),
  }),
  'The certificate was revoked: its bindings are released (certificate.unassigned, reason revoked).',
);
