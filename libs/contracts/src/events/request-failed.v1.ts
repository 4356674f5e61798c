import { z } from 'zod';
import { defineEvent } from '../envelope';

/** Published by whichever service found the request cannot go on. Final. */
export const RequestFailedV1 = defineEvent(
  'certflow.request.failed.v1',
  z.object({
    requestId: z.string(),
    stage: z.enum(['issuance', 'validation', 'assignment']),
    /** Stable PascalCase reason code, e.g. `CertificateExpired`, `IssuerRefused`. */
    code: z.string(),
    message: z.string(),
  }),
  'The request cannot go on: the CA refused it, the CA stayed unreachable, or the certificate is invalid.',
);
