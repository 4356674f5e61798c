import { z } from 'zod';
import { defineEvent } from '../envelope';
import { Usages } from './shared-schemas';

/** Published by request when a request is accepted. ca-gateway issues from it. */
export const RequestSubmittedV1 = defineEvent(
  'certflow.request.submitted.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    csr: z.string(),
    usages: Usages,
    autoAssign: z.boolean(),
    issuer: z.string(),
  }),
  'A certificate request was accepted: the CSR passed its checks and was stored.',
);
