import { z } from 'zod';
import { defineEvent } from '../envelope';
import { PemCertificate } from './shared-schemas';

/**
 * Added to the contract. Published by request when an operator uploads the certificate an offline CA
 * returned (POST /api/v1/requests/{id}/certificate), after checking it carries the CSR's key.
 * ca-gateway turns it into certificate.issued, exactly as a CA's answer.
 */
export const CertificateUploadedV1 = defineEvent(
  'certflow.certificate.uploaded.v1',
  z.object({
    requestId: z.string(),
    certificate: PemCertificate,
    chain: z.array(PemCertificate),
    uploadedBy: z.string(),
  }),
  'An operator uploaded the certificate an offline CA returned for a pending request.',
);
