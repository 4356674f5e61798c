import { z } from 'zod';
import { defineEvent } from '../envelope';
import { PemCertificate, Thumbprint } from './shared-schemas';

/** Published by ca-gateway when a CA returned a certificate. trust-validation validates it. */
export const CertificateIssuedV1 = defineEvent(
  'certflow.certificate.issued.v1',
  z.object({
    requestId: z.string(),
    issuer: z.string(),
    certificate: PemCertificate,
    /** The other certificates exactly as the CA returned them (usually intermediates), PEM. */
    chain: z.array(PemCertificate),
    thumbprint: Thumbprint,
  }),
  'The CA returned a certificate ("Certificate Request (Returned)").',
);
