// A renewal is a new request with `renewalOf`: the renew route, the renewal-due consumer ('Never')
// and the retry job all submit it the same way, inside the caller's transaction.
import type { CloudEvent } from '@certflow/contracts';
import type { Write } from '@certflow/messaging';
import { decide, evolveAll, type RequestCommand, type RequestSnapshot } from '../domain/certificate-request.state';
import { outgoingEvents } from '../commands/outgoing-events';
import type { Query } from '../persistence/certificate-request.repository';
import { historyInserts, requestInsert } from '../persistence/certificate-request.writes';

type Submit = Extract<RequestCommand, { type: 'Submit' }>;

/**
 * The Submit of `old`'s renewal: the same host, usages, issuer, friendly name and renewal terms,
 * assigned as soon as it validates (it replaces bindings that exist, nobody has to press Assign).
 * `csr` absent: the stored one (rotationPolicy 'Never').
 */
export function renewalOf(old: RequestSnapshot, opts: { id: string; at: Date; csr?: string }): Submit {
  return {
    type: 'Submit',
    at: opts.at,
    id: opts.id,
    host: old.host,
    usages: old.usages,
    autoAssign: true,
    issuer: old.issuer,
    friendlyName: old.friendlyName,
    csr: opts.csr ?? old.csr,
    renewalOf: old.id,
    ...(old.renewBefore !== undefined ? { renewBefore: old.renewBefore } : {}),
    rotationPolicy: old.rotationPolicy,
  };
}

/** What storing a Submit writes (row, history, outbox events), and the request it makes. */
export function submissionWrites(command: Submit): { request: RequestSnapshot; writes: Write[]; publish: CloudEvent[] } {
  const decision = decide(null, command);
  if (decision.kind !== 'accepted') throw new Error(`submit refused: ${decision.kind}`);
  const request = evolveAll(null, decision.events)!;
  // 'fail' on a conflict: the partial unique index on renewal_of refuses a second open renewal, and
  // the transaction is retried (and then finds the open one) rather than half-written.
  const writes = [requestInsert(request, { idempotencyKey: null, bodyHash: null }, 'fail'), ...historyInserts(request.id, decision.events)];
  return { request, writes, publish: outgoingEvents(request, decision.events) };
}

/** A renewal is open until it FAILED (or was itself superseded): at most one per request (the partial unique index). */
export const OPEN_RENEWAL = `state NOT IN ('FAILED', 'SUPERSEDED')`;

/** The open renewal of each of `ids` that has one: old request id → renewal id. */
export async function openRenewals(query: Query, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await query<{ id: string; renewal_of: string }>(
    `SELECT id, renewal_of FROM certificate_request WHERE renewal_of = ANY ($1::uuid[]) AND ${OPEN_RENEWAL}`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.renewal_of, r.id]));
}
