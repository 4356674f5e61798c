// The certificate inventory (GET /api/v1/certificates) and its expiry summary, read from the
// request table: every request that has a certificate, soonest notAfter first.
import { CERTIFICATE_STATUSES, isUuid, normalizeHost, type CertificateInventoryItem, type CertificateInventoryPage, type CertificateStatus, type ExpirySummaryView, type RequestState, type RevocationView, type RotationPolicy, type Usage } from '@certflow/contracts';
import { normalizeThumbprint } from '@certflow/pki';
import { ApiError } from '../../http/api-error';
import { requireSingleValues } from '../../http/query-params';
import { patternsRegex } from '../../access/auth/host-pattern';
import type { Query } from '../persistence/certificate-request.repository';
import { latestRenewals, renewalStatus } from '../renewal/renewal.status';

export const INVENTORY_DEFAULT_LIMIT = 100;
export const INVENTORY_MAX_LIMIT = 1000;
export const SUMMARY_MAX_DAYS = 366;

export interface InventoryFilter {
  host?: string;
  issuer?: string;
  /** SHA-1 thumbprint (upper-case) of the issuing CA certificate. */
  issuedBy?: string;
  status?: CertificateStatus;
  expiresBefore?: Date;
  limit: number;
  after?: { notAfter: string; id: string };
}

/** Reads `?host=&issuer=&status=&expiresBefore=&limit=&cursor=`; each refusal says what to send instead. */
export function parseInventoryQuery(q: Record<string, unknown>): InventoryFilter {
  requireSingleValues(q);
  const { host, issuer, issuedBy, status, expiresBefore, limit, cursor } = q as Record<string, string | undefined>;
  const ca = issuedBy === undefined || issuedBy === '' ? undefined : normalizeThumbprint(issuedBy);
  if (ca === null || ca?.kind === 'sha256') throw new ApiError(400, 'INVALID_THUMBPRINT', 'issuedBy is the SHA-1 thumbprint (40 hexadecimal characters) of the issuing CA certificate');
  if (status !== undefined && !(CERTIFICATE_STATUSES as readonly string[]).includes(status)) {
    throw new ApiError(400, 'INVALID_STATUS', `status must be one of ${CERTIFICATE_STATUSES.join(', ')}`);
  }
  let before: Date | undefined;
  if (expiresBefore !== undefined) {
    before = isoInstant(expiresBefore) ?? undefined;
    if (!before) throw new ApiError(400, 'INVALID_EXPIRES_BEFORE', 'expiresBefore must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z');
  }
  const n = limit === undefined ? INVENTORY_DEFAULT_LIMIT : /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
  if (!(n >= 1 && n <= INVENTORY_MAX_LIMIT)) throw new ApiError(400, 'INVALID_LIMIT', `limit must be a whole number from 1 to ${INVENTORY_MAX_LIMIT}`);
  return {
    ...(host !== undefined && host !== '' ? { host: normalizeHost(host) } : {}),
    ...(issuer !== undefined && issuer !== '' ? { issuer } : {}),
    ...(ca ? { issuedBy: ca.value } : {}),
    ...(status ? { status: status as CertificateStatus } : {}),
    ...(before ? { expiresBefore: before } : {}),
    limit: n,
    ...(cursor !== undefined ? { after: decodeCursor(cursor) } : {}),
  };
}

/** Reads `?days=` (default 90, 1 to 366). */
export function parseSummaryDays(q: Record<string, unknown>): number {
  requireSingleValues(q);
  const days = (q as { days?: string }).days;
  if (days === undefined) return 90;
  const n = /^\d{1,3}$/.test(days) ? Number(days) : NaN;
  if (!(n >= 1 && n <= SUMMARY_MAX_DAYS)) throw new ApiError(400, 'INVALID_DAYS', `days must be a whole number from 1 to ${SUMMARY_MAX_DAYS}`);
  return n;
}

interface Row {
  id: string;
  thumbprint: string;
  host: string;
  issuer: string;
  not_before: Date;
  not_after: Date;
  state: RequestState;
  usages: Usage[];
  assignment: { usages: Usage[] } | null;
  rotation_policy: RotationPolicy;
  renewal_due_at: Date | null;
  issued_by: string | null;
  revocation: Parameters<typeof revocationDoc>[0];
}

/** The revocation document as the view shows it (already ISO text in jsonb). */
function revocationDoc(doc: { reason: RevocationView['reason']; requestedAt: string; actor?: string; state: RevocationView['state']; revokedAt?: string; atCa?: RevocationView['atCa'] } | null): RevocationView | undefined {
  return doc ?? undefined;
}

/**
 * Revoked: REVOKED, or a revocation sent to the CA (no longer to be trusted, whatever the CA's
 * answer time). A revocation held for a renewal is not yet: the certificate is still in use.
 */
const REVOKED = `(state = 'REVOKED' OR coalesce(revocation->>'state', '') IN ('requested', 'revoked'))`;

/** The status of one row, by the same rules as `statusCondition`. */
function statusOf(r: Row, now: Date): CertificateStatus {
  if (r.state === 'REVOKED' || r.revocation?.state === 'requested' || r.revocation?.state === 'revoked') return 'revoked';
  if (r.state === 'SUPERSEDED') return 'superseded';
  return new Date(r.not_after).getTime() <= now.getTime() ? 'expired' : 'active';
}

/** The SQL condition of a status at `now` (the parameter `nowParam`), on top of "has a certificate". */
function statusCondition(status: CertificateStatus, nowParam: () => string): string {
  switch (status) {
    case 'revoked':
      return REVOKED;
    case 'superseded':
      return `NOT ${REVOKED} AND state = 'SUPERSEDED'`;
    case 'expired':
      return `NOT ${REVOKED} AND state <> 'SUPERSEDED' AND not_after <= ${nowParam()}`;
    case 'active':
      return `NOT ${REVOKED} AND state <> 'SUPERSEDED' AND not_after > ${nowParam()}`;
    case 'untrusted':
      // Comes with trust re-checks (#19, part U).
      return 'false';
    default: {
      const exhaustive: never = status;
      return exhaustive;
    }
  }
}

/** A page of the inventory; `scope`: a host-scoped caller's patterns (null: every host). */
export async function inventoryPage(query: Query, f: InventoryFilter, now: Date, scope: readonly string[] | null): Promise<CertificateInventoryPage> {
  const where = ['thumbprint IS NOT NULL', 'not_after IS NOT NULL'];
  const values: unknown[] = [f.limit + 1];
  const param = (v: unknown) => `$${values.push(v)}`;
  if (f.status) where.push(statusCondition(f.status, () => param(now)));
  if (f.host) where.push(`lower(host) = ${param(f.host)}`);
  if (f.issuer) where.push(`issuer = ${param(f.issuer)}`);
  if (f.issuedBy) where.push(`issued_by = ${param(f.issuedBy)}`);
  if (f.expiresBefore) where.push(`not_after < ${param(f.expiresBefore)}`);
  if (f.after) where.push(`(not_after, id) > (${param(f.after.notAfter)}::timestamptz, ${param(f.after.id)}::uuid)`);
  scopeCondition(where, scope, param);
  const rows = await query<Row>(
    `SELECT id, thumbprint, host, issuer, not_before, not_after, state, usages, assignment, rotation_policy, renewal_due_at, issued_by, revocation
       FROM certificate_request WHERE ${where.join(' AND ')} ORDER BY not_after, id LIMIT $1`,
    values,
  );
  const page = rows.slice(0, f.limit);
  const latest = await latestRenewals(query, page.filter((r) => r.state === 'ASSIGNED' && r.renewal_due_at).map((r) => r.id));
  const items = page.map((r): CertificateInventoryItem => {
    const renewal = renewalStatus({ state: r.state, rotationPolicy: r.rotation_policy, renewalDueAt: r.renewal_due_at }, latest.get(r.id), now);
    return {
      thumbprint: r.thumbprint,
      requestId: r.id,
      host: r.host,
      issuer: r.issuer,
      notBefore: new Date(r.not_before).toISOString(),
      notAfter: new Date(r.not_after).toISOString(),
      status: statusOf(r, now),
      usages: r.assignment?.usages ?? r.usages,
      requestState: r.state,
      ...(renewal ? { renewal } : {}),
      ...(r.issued_by ? { issuedBy: r.issued_by } : {}),
      ...(r.revocation ? { revocation: revocationDoc(r.revocation) } : {}),
    };
  });
  const last = page.at(-1);
  return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(new Date(last.not_after).toISOString(), last.id) : null };
}

const WEEK_MS = 7 * 86_400_000;

/** Active (not superseded) certificates by week of notAfter over the next `days` from `now`, and those expired already. */
export async function expirySummary(query: Query, days: number, now: Date, scope: readonly string[] | null): Promise<ExpirySummaryView> {
  const end = new Date(now.getTime() + days * 86_400_000);
  const values: unknown[] = [now, end];
  const where = [`thumbprint IS NOT NULL`, `not_after IS NOT NULL`, `state <> 'SUPERSEDED'`, `NOT ${REVOKED}`, `not_after < $2`];
  scopeCondition(where, scope, (v) => `$${values.push(v)}`);
  const rows = await query<{ week: number; n: number }>(
    `SELECT CASE WHEN not_after <= $1 THEN -1 ELSE floor(extract(epoch FROM (not_after - $1)) / ${WEEK_MS / 1000})::int END AS week, count(*)::int AS n
       FROM certificate_request WHERE ${where.join(' AND ')} GROUP BY 1`,
    values,
  );
  const counts = new Map(rows.map((r) => [Number(r.week), Number(r.n)]));
  const weeks: ExpirySummaryView['weeks'] = [];
  for (let i = 0; i * WEEK_MS < days * 86_400_000; i++) {
    const start = new Date(now.getTime() + i * WEEK_MS);
    const stop = new Date(Math.min(start.getTime() + WEEK_MS, end.getTime()));
    weeks.push({ start: start.toISOString(), end: stop.toISOString(), count: counts.get(i) ?? 0 });
  }
  return { from: now.toISOString(), days, expired: counts.get(-1) ?? 0, weeks };
}

function scopeCondition(where: string[], scope: readonly string[] | null, param: (v: unknown) => string): void {
  if (scope === null) return;
  const re = patternsRegex(scope);
  where.push(re === null ? 'false' : `lower(host) ~ ${param(re)}`);
}

/** An instant written as ISO 8601 with a zone (Z or ±hh:mm); null for anything else. */
function isoInstant(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t);
}

function encodeCursor(notAfter: string, id: string): string {
  return Buffer.from(JSON.stringify({ n: notAfter, id })).toString('base64url');
}

function decodeCursor(cursor: string): { notAfter: string; id: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { n?: unknown; id?: unknown };
    if (typeof c.n === 'string' && isoInstant(c.n) && new Date(c.n).toISOString() === c.n && typeof c.id === 'string' && isUuid(c.id)) return { notAfter: c.n, id: c.id };
  } catch {
    /* answered below */
  }
  throw new ApiError(400, 'INVALID_CURSOR', 'cursor must be the nextCursor of a previous page');
}
