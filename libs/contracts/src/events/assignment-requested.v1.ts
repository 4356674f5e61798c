import { z } from 'zod';
import { defineEvent } from '../envelope';
import { PemCertificate, Thumbprint, Usages } from './shared-schemas';
import { RenewBeforeSchema, RotationPolicySchema } from '../lifecycle';

/**
 * Added to the contract. Published by request when an ASSIGNABLE request is to be bound: at once for
 * autoAssign, or when an operator presses Assign. The assignment service acts on it only after it has
 * itself seen chain.complete for the same certificate.
 */
export const AssignmentRequestedV1 = defineEvent(
  'certflow.assignment.requested.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    usages: Usages,
    thumbprint: Thumbprint,
    certificate: PemCertificate,
    chain: z.array(PemCertificate),
    by: z.enum(['auto', 'operator']),
    /** Added to the contract: who asked — the caller's token name, or `auto` for autoAssign. */
    actor: z.string().optional(),
    /** Added to the contract (lifecycle): the request this one renews (its bindings are taken over). */
    renewalOf: z.string().optional(),
    /** Added to the contract (lifecycle): how long before notAfter the renewal window opens (ISO 8601 duration); absent: the default. */
    renewBefore: RenewBeforeSchema.optional(),
    /** Added to the contract (lifecycle): who makes the next key; absent: `Always`. */
    rotationPolicy: RotationPolicySchema.optional(),
    /** Added to the contract (lifecycle): the issuer, for the expiry watch's events. */
    issuer: z.string().optional(),
  }),
  'A request was asked to be bound to its usages (auto-assign, or an operator pressed Assign).',
);
