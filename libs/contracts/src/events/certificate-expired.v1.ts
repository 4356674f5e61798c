import { z } from 'zod';
import { defineEvent } from '../envelope';
import { Thumbprint } from './shared-schemas';
import { UsageSchema } from '../usages';

/** Published by assignment (the expiry watch) once, if the certificate is still bound when notAfter passes. */
export const CertificateExpiredV1 = defineEvent(
  'certflow.certificate.expired.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    thumbprint: Thumbprint,
    notAfter: z.string().datetime(),
    usages: z.array(UsageSchema),
  }),
  'A certificate was still bound when its notAfter passed: the host is serving an expired certificate.',
);
