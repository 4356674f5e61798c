import { z } from 'zod';

/**
 * RFC 5280 §5.3.1 reason names a revocation may give. `certificateHold` is not among them: certflow
 * does not un-revoke, so a hold would be a lie; `removeFromCRL` is for delta CRLs only.
 */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
  'aACompromise',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
export const RevocationReasonSchema = z.enum(REVOCATION_REASONS);

/** The CRLReason code of each name (RFC 5280 §5.3.1; 7 is unused, 6 is certificateHold). */
export const REVOCATION_REASON_CODES: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};
