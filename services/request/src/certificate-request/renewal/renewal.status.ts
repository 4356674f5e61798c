// Where a request's renewal stands, as the RequestView and the inventory show it (`renewal`).
import type { RequestState, RotationPolicy } from '@certflow/contracts';
import type { Query } from '../persistence/certificate-request.repository';

export const RENEWAL_STATES = ['scheduled', 'waiting-for-host', 'in-progress', 'failed', 'overdue'] as const;
/**
 * - scheduled: the window has not opened yet ('Never': certflow will submit the renewal then);
 * - waiting-for-host: the window opened, 'Always', and the host has not sent its new CSR yet;
 * - in-progress: a renewal request is open (submitted, with the CA, validating, or assigned);
 * - failed: the last renewal FAILED ('Never': retried with backoff; 'Always': the agent retries);
 * - overdue: the window opened more than a day ago and no renewal took the bindings over yet.
 */
export type RenewalState = (typeof RENEWAL_STATES)[number];

export interface RenewalView {
  dueAt: string;
  requestId?: string;
  state: RenewalState;
}

/** The latest renewal request of a request, if any. */
export interface LatestRenewal {
  id: string;
  state: RequestState;
}

const DAY_MS = 86_400_000;

/**
 * The renewal of an ASSIGNED request whose due date is known (from certificate.assigned or
 * renewal-due); none for any other (a SUPERSEDED request was renewed; the others are not bound).
 */
export function renewalStatus(
  r: { state: RequestState; rotationPolicy: RotationPolicy; renewalDueAt?: Date | null },
  latest: LatestRenewal | undefined,
  now: Date,
): RenewalView | undefined {
  if (r.state !== 'ASSIGNED' || !r.renewalDueAt) return undefined;
  const due = r.renewalDueAt.getTime();
  const view = (state: RenewalState): RenewalView => ({ dueAt: r.renewalDueAt!.toISOString(), ...(latest ? { requestId: latest.id } : {}), state });
  if (now.getTime() >= due + DAY_MS) return view('overdue');
  if (latest?.state === 'FAILED') return view('failed');
  if (latest && latest.state !== 'SUPERSEDED') return view('in-progress');
  if (now.getTime() < due) return view('scheduled');
  return view(r.rotationPolicy === 'Always' ? 'waiting-for-host' : 'in-progress');
}

/** The latest renewal of each of `ids` that has one (by creation), in one query. */
export async function latestRenewals(query: Query, ids: readonly string[]): Promise<Map<string, LatestRenewal>> {
  if (ids.length === 0) return new Map();
  const rows = await query<{ id: string; state: RequestState; renewal_of: string }>(
    `SELECT DISTINCT ON (renewal_of) id, state, renewal_of FROM certificate_request WHERE renewal_of = ANY ($1::uuid[]) ORDER BY renewal_of, created_at DESC, id DESC`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.renewal_of, { id: r.id, state: r.state }]));
}
