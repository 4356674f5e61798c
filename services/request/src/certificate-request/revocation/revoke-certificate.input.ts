import { REVOCATION_REASONS, type RevocationReason } from '@certflow/contracts';
import { ApiError } from '../../http/api-error';

/** The body of POST /api/v1/certificates/{thumbprint}/revoke, checked. */
export interface RevokeInput {
  reason: RevocationReason;
  renew: boolean;
  csr?: string;
}

const FIELDS = ['reason', 'renew', 'csr'];

/** Reads `{reason, renew?, csr?}`; each refusal says what to send instead. */
export function parseRevokeBody(body: unknown): RevokeInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'INVALID_BODY', 'send {"reason": "keyCompromise"} (and "renew": true to renew first)');
  }
  const unknown = Object.keys(body).filter((k) => !FIELDS.includes(k));
  if (unknown.length) throw new ApiError(400, 'UNKNOWN_FIELD', `unknown field(s) ${unknown.join(', ')}; allowed: ${FIELDS.join(', ')}`);
  const { reason, renew, csr } = body as { reason?: unknown; renew?: unknown; csr?: unknown };
  if (reason === 'certificateHold') {
    throw new ApiError(400, 'HOLD_NOT_SUPPORTED', 'certificateHold is not taken: certflow does not un-revoke, a revocation is final; pick another reason');
  }
  if (typeof reason !== 'string' || !(REVOCATION_REASONS as readonly string[]).includes(reason)) {
    throw new ApiError(400, 'INVALID_REASON', `reason must be one of ${REVOCATION_REASONS.join(', ')} (RFC 5280 names)`);
  }
  if (renew !== undefined && typeof renew !== 'boolean') throw new ApiError(400, 'INVALID_BODY', '`renew` must be true or false');
  if (csr !== undefined && (typeof csr !== 'string' || csr.trim() === '')) throw new ApiError(400, 'CSR_MISSING', '`csr` must be a PEM certificate request made on the host');
  return { reason: reason as RevocationReason, renew: renew === true, ...(csr !== undefined ? { csr: csr as string } : {}) };
}
