import type { RequestView, RotationPolicy, Usage } from '@certflow/contracts';
import type { ApiClient, Page } from '../api-client';

/**
 * The lifecycle part of the HTTP API (CONTRACT.md "v2 additions" → Lifecycle, and design.md "R"),
 * as the CLI and the agent read it. The shapes are declared here, not in libs/contracts, because
 * the request service owns them there; these are the fields the CLI relies on, all optional where
 * an older server would leave them out.
 */

/** Where a certificate's renewal stands (the inventory's and RequestView's `renewal`). */
export interface RenewalView {
  dueAt: string;
  requestId?: string;
  state?: 'scheduled' | 'waiting-for-host' | 'in-progress' | 'failed' | 'overdue';
}

/** A RequestView with the lifecycle fields the request service adds. */
export type LifecycleRequestView = RequestView & {
  renewalOf?: string | null;
  renewBefore?: string | null;
  rotationPolicy?: RotationPolicy;
  supersededBy?: string | null;
  renewal?: RenewalView | null;
};

export const CERTIFICATE_STATUSES = ['active', 'superseded', 'revoked', 'expired', 'untrusted'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** One row of GET /api/v1/certificates. */
export interface InventoryItem {
  thumbprint: string;
  requestId: string;
  host: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  status: CertificateStatus;
  usages: Usage[];
  renewal?: RenewalView | null;
  requestState?: string;
}

export interface InventoryQuery {
  host?: string;
  issuer?: string;
  status?: CertificateStatus;
  /** ISO datetime: only certificates whose notAfter is before it. */
  expiresBefore?: string;
}

/** The inventory's query string, without empty filters. */
export function inventoryQueryString(q: InventoryQuery & { limit?: number; cursor?: string }): string {
  const params = new URLSearchParams();
  for (const k of ['host', 'issuer', 'status', 'expiresBefore'] as const) if (q[k]) params.set(k, q[k]!);
  if (q.limit) params.set('limit', String(q.limit));
  if (q.cursor) params.set('cursor', q.cursor);
  return params.toString();
}

/** The inventory's largest page (the API caps `limit` at 1,000). */
const INVENTORY_PAGE = 1000;

/** Every certificate matching `q`, following the cursors to the last page. */
export async function inventoryAll(api: ApiClient, q: InventoryQuery): Promise<InventoryItem[]> {
  const out: InventoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = (await api.call<Page<InventoryItem>>('GET', `/api/v1/certificates?${inventoryQueryString({ ...q, limit: INVENTORY_PAGE, cursor })}`)).body;
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * POST /api/v1/requests/{id}/renew. `created` is false when the API answered 200 with the renewal
 * already open for that request (asking twice makes one renewal). Safe to retry: the server keeps
 * one open renewal per request, so the call is marked idempotent.
 */
export async function renewRequest(api: ApiClient, id: string, csr?: string): Promise<{ view: LifecycleRequestView; created: boolean }> {
  const res = await api.call<LifecycleRequestView>('POST', `/api/v1/requests/${encodeURIComponent(id)}/renew`, { json: csr ? { csr } : {}, idempotent: true });
  return { view: res.body, created: res.status === 201 };
}
