import { z } from 'zod';
import { defineEvent } from '../envelope';
import { Usages } from './shared-schemas';
import { RenewBeforeSchema, RotationPolicySchema } from '../lifecycle';

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
    /** Added to the contract (lifecycle): the request this one renews. */
    renewalOf: z.string().optional(),
    /** Added to the contract (lifecycle): how long before notAfter the renewal window opens (ISO 8601 duration); absent: the default. */
    renewBefore: RenewBeforeSchema.optional(),
    /** Added to the contract (lifecycle): who makes the next key; absent: `Always`. */
    rotationPolicy: RotationPolicySchema.optional(),
  }),
  'A certificate request was accepted: the CSR passed its checks and was stored.',
);
