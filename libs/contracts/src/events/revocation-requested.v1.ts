import { z } from 'zod';
import { defineEvent } from '../envelope';
import { PemCertificate, Thumbprint } from './shared-schemas';
import { RevocationReasonSchema } from '../revocation';

/**
 * Added to the contract (revocation). Published by request when a certificate is to be revoked
 * (`POST /api/v1/certificates/{thumbprint}/revoke`, at once or once its renewal is assigned).
 * ca-gateway revokes it at its CA and answers with certificate.revoked.
 */
export const RevocationRequestedV1 = defineEvent(
  'certflow.revocation.requested.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    thumbprint: Thumbprint,
    /** The issuer name the request used (an entry of CERTFLOW_ISSUERS). */
    issuer: z.string(),
    certificate: PemCertificate,
    reason: RevocationReasonSchema,
    requestedAt: z.string().datetime(),
    /** Who asked: a token name. */
    actor: z.string().optional(),
  }),
  'A certificate is to be revoked at its CA (internal: CRL and OCSP; ACME: revokeCert; offline: recorded, revoked by hand).',
);
