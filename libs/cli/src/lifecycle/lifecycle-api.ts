import type { CertificateInventoryItem, CertificateInventoryPage, CertificateStatus, RequestView } from '@certflow/contracts';
import type { ApiClient } from '../api-client';

/**
 * The lifecycle part of the HTTP API (CONTRACT.md "v2 additions" → Lifecycle) as the CLI and the
 * agent call it: the inventory with every page, and the renew route. The shapes are libs/contracts'.
 */

export interface InventoryQuery {
  host?: string;
  issuer?: string;
  status?: CertificateStatus;
  /** ISO datetime: only certificates whose notAfter is before it. */
  expiresBefore?: string;
  /** Only certificates issued by the CA certificate with this thumbprint. */
  issuedBy?: string;
}

/** The inventory's query string, without empty filters. */
export function inventoryQueryString(q: InventoryQuery & { limit?: number; cursor?: string }): string {
  const params = new URLSearchParams();
  for (const k of ['host', 'issuer', 'status', 'expiresBefore', 'issuedBy'] as const) if (q[k]) params.set(k, q[k]!);
  if (q.limit) params.set('limit', String(q.limit));
  if (q.cursor) params.set('cursor', q.cursor);
  return params.toString();
}

/** The inventory's largest page (the API caps `limit` at 1,000). */
const INVENTORY_PAGE = 1000;

/** Every certificate matching `q`, following the cursors to the last page. */
export async function inventoryAll(api: ApiClient, q: InventoryQuery): Promise<CertificateInventoryItem[]> {
  const out: CertificateInventoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = (await api.call<CertificateInventoryPage>('GET', `/api/v1/certificates?${inventoryQueryString({ ...q, limit: INVENTORY_PAGE, cursor })}`)).body;
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
export async function renewRequest(api: ApiClient, id: string, csr?: string): Promise<{ view: RequestView; created: boolean }> {
  const res = await api.call<RequestView>('POST', `/api/v1/requests/${encodeURIComponent(id)}/renew`, { json: csr ? { csr } : {}, idempotent: true });
  return { view: res.body, created: res.status === 201 };
}
