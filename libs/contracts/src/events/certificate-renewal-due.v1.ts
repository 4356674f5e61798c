import { z } from 'zod';
import { defineEvent } from '../envelope';
import { RotationPolicySchema } from '../lifecycle';
import { Thumbprint } from './shared-schemas';
import { UsageSchema } from '../usages';

/** Published by assignment (the expiry watch) once per bound certificate, when its renewal window opens. */
export const CertificateRenewalDueV1 = defineEvent(
  'certflow.certificate.renewal-due.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    thumbprint: Thumbprint,
    notAfter: z.string().datetime(),
    usages: z.array(UsageSchema),
    issuer: z.string(),
    rotationPolicy: RotationPolicySchema,
    /** Added to the contract: when the window opened (notAfter − renewBefore). */
    dueAt: z.string().datetime().optional(),
  }),
  'A bound certificate\'s renewal window opened: renew it (`Always`: the host makes a new key and submits with renewalOf; `Never`: certflow re-submits the stored CSR itself).',
);
