import { z } from 'zod';
import { UsageSchema } from '../usages';

/** PEM text of one X.509 certificate. */
export const PemCertificate = z.string().min(1);
/** SHA-1 thumbprint of a certificate's DER, upper-case hex (as Windows shows it). */
export const Thumbprint = z.string().regex(/^[0-9A-F]{40}$/);
export const Usages = z.array(UsageSchema).min(1);

/** One gap in a chain: what an operator must import to close it. */
export const MissingIssuer = z.object({
  kind: z.enum(['root', 'intermediate']),
  subject: z.string(),
  authorityKeyIdentifier: z.string().optional(),
});
export type MissingIssuer = z.infer<typeof MissingIssuer>;

/** A usage that was not bound, and why (usage fitness). */
export const UsageRefusal = z.object({ usage: UsageSchema, code: z.string(), reason: z.string() });
export type UsageRefusal = z.infer<typeof UsageRefusal>;
