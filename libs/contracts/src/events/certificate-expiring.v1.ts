import { z } from 'zod';
import { defineEvent } from '../envelope';
import { Thumbprint } from './shared-schemas';
import { UsageSchema } from '../usages';

/** Published by assignment (the expiry watch) once per warning threshold crossed while the certificate is still bound. */
export const CertificateExpiringV1 = defineEvent(
  'certflow.certificate.expiring.v1',
  z.object({
    requestId: z.string(),
    host: z.string(),
    thumbprint: Thumbprint,
    notAfter: z.string().datetime(),
    /** Whole days left, rounded up, when the warning was decided. */
    daysLeft: z.number().int().min(0),
    usages: z.array(UsageSchema),
    /** Added to the contract: the threshold (days before notAfter) this warning is for. */
    threshold: z.number().int().positive().optional(),
  }),
  'A certificate still bound is close to its notAfter (one event per threshold: by default 30, 14, 7 and 1 days).',
);
