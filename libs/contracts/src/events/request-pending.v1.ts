import { z } from 'zod';
import { defineEvent } from '../envelope';

/** Published by ca-gateway when a CA has taken the request but has not returned a certificate yet. */
export const RequestPendingV1 = defineEvent(
  'certflow.request.pending.v1',
  z.object({
    requestId: z.string(),
    issuer: z.string(),
    /** Free-form detail of where the CA is (an ACME order's state and URL, "waiting for upload"). */
    detail: z.string().optional(),
  }),
  'The CA has the request (an ACME order in flight, an offline issuer waiting for the certificate to be uploaded).',
);
