import { REVOCATION_REASONS, type RevocationReason, type RevokeCertificateView } from '@certflow/contracts';
import { InvalidArgumentError } from 'commander';
import type { ApiClient } from '../api-client';

/**
 * The revoke route's answer (libs/contracts): also for a certificate revoked before, then it is the
 * FIRST revocation (reason and time of that one).
 */
export type RevokeResult = RevokeCertificateView;

export interface RevokeBody {
  reason: RevocationReason;
  renew?: boolean;
  csr?: string;
}

/**
 * POST /api/v1/certificates/{thumbprint}/revoke. Marked idempotent: asking twice answers 200 with
 * the first revocation (and with `renew`, the server keeps one open renewal per request), so a
 * retry after a lost answer changes nothing.
 */
export async function revokeCertificate(api: ApiClient, thumbprint: string, body: RevokeBody, signal?: AbortSignal): Promise<RevokeResult> {
  return (await api.call<RevokeResult>('POST', `/api/v1/certificates/${encodeURIComponent(thumbprint)}/revoke`, { json: body, idempotent: true, signal })).body;
}

/** A thumbprint as openssl or a browser prints it (colons, spaces, any case) → 40 or 64 hex digits, upper case. */
export function parseThumbprint(value: string): string {
  const t = value.replace(/[:\s]/g, '').toUpperCase();
  if (!/^([0-9A-F]{40}|[0-9A-F]{64})$/.test(t)) throw new InvalidArgumentError(`"${value}" is not a thumbprint: 40 (SHA-1) or 64 (SHA-256) hex digits, colons allowed`);
  return t;
}

/** `--issued-by`: the inventory filters by the issuing CA's SHA-1 thumbprint only. */
export function parseCaThumbprint(value: string): string {
  const t = parseThumbprint(value);
  if (t.length !== 40) throw new InvalidArgumentError(`"${value}" is a SHA-256 thumbprint; --issued-by takes the CA certificate's SHA-1 thumbprint (40 hex digits; certflow trust list shows it)`);
  return t;
}

/** RFC 5280 reason names, any case (`keycompromise` → `keyCompromise`); `certificateHold` is refused here already. */
export function parseReason(value: string): RevocationReason {
  const r = REVOCATION_REASONS.find((x) => x.toLowerCase() === value.trim().toLowerCase());
  if (r) return r;
  if (value.trim().toLowerCase() === 'certificatehold') throw new InvalidArgumentError('certificateHold is not supported: certflow does not un-revoke, a revocation is final');
  throw new InvalidArgumentError(`"${value}" is not a revocation reason; use one of ${REVOCATION_REASONS.join(', ')}`);
}

/** One line a person reads: where the revocation stands. */
export function describeRevocation(r: RevokeResult): string {
  const what =
    r.state === 'revoked'
      ? `revoked ${r.revokedAt ?? ''}`.trim()
      : r.state === 'after-renewal'
        ? `to be revoked once its renewal${r.renewalRequestId ? ` ${r.renewalRequestId}` : ''} is assigned`
        : 'revocation requested';
  return `certificate ${r.thumbprint} of request ${r.requestId}: ${what} (reason ${r.reason}, asked ${r.requestedAt}; at the CA: ${r.atCa})`;
}
