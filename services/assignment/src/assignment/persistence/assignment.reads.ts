import type { FactTx } from '@certflow/messaging';
import type { AssignmentRequested } from '../assign-certificate.service';
import type { WatchRecord } from './certificate-watch.table';

/**
 * What the two assignment fact handlers read, under the locks that make their decisions safe.
 *
 * Lock order, the same in both handlers so two instances' batches cannot deadlock: first every
 * request id of the batch (sorted), then every host about to be bound (sorted). A request's lock
 * serialises assignment.requested against chain.complete for it, so whichever commits second sees
 * the other's row (READ COMMITTED); a host's lock makes "what did this binding replace" exact even
 * when the binding row does not exist yet (FOR UPDATE locks only rows that do).
 */
export async function lockRequests(tx: FactTx, requestIds: readonly string[]): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('assignment:' || id)) FROM unnest($1::text[]) AS id ORDER BY id`, [sorted(requestIds)]);
}

/** Who holds a host's usage: the certificate and the request it was bound for. */
export interface BoundUsage {
  thumbprint: string;
  requestId: string;
}

/**
 * The bindings of the hosts a batch binds (`host|usage` → holder), read under the hosts' locks and
 * updated as the batch binds, so a later request of the same batch replaces an earlier one. It also
 * keeps the watch rows the batch inserts: a takeover of one of those changes the row being inserted
 * (an update beside the insert in the same plan could run before it).
 */
export class HostBindings {
  readonly newWatches = new Map<string, WatchRecord>();
  constructor(readonly bound: Map<string, BoundUsage> = new Map()) {}

  /** The usages `requestId` holds on `host` now. */
  usagesOf(host: string, requestId: string): string[] {
    const prefix = `${host}|`;
    const usages: string[] = [];
    for (const [key, holder] of this.bound) if (key.startsWith(prefix) && holder.requestId === requestId) usages.push(key.slice(prefix.length));
    return usages.sort();
  }
}

/** Locks the hosts, then reads their bindings. */
export async function lockHostBindings(tx: FactTx, hosts: readonly string[]): Promise<HostBindings> {
  const list = sorted(hosts);
  if (list.length === 0) return new HostBindings();
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('assignment-host:' || h)) FROM unnest($1::text[]) AS h ORDER BY h`, [list]);
  const rows = await tx.query<{ host: string; usage: string; thumbprint: string; request_id: string }>(
    'SELECT host, usage, thumbprint, request_id FROM binding WHERE host = ANY ($1) ORDER BY host, usage FOR UPDATE',
    [list],
  );
  return new HostBindings(new Map(rows.map((r) => [bindingKey(r.host, r.usage), { thumbprint: r.thumbprint, requestId: r.request_id }])));
}

export const bindingKey = (host: string, usage: string) => `${host}|${usage}`;

/** Request ids that already have their assignment (bound or failed): a second one is a duplicate. */
export async function readAssigned(tx: FactTx, requestIds: readonly string[]): Promise<Set<string>> {
  const rows = await tx.query<{ request_id: string }>('SELECT request_id FROM assignment WHERE request_id = ANY ($1)', [sorted(requestIds)]);
  return new Set(rows.map((r) => r.request_id));
}

/** `requestId|thumbprint` of the certificates declared chain-complete. */
export async function readChainComplete(tx: FactTx, requestIds: readonly string[]): Promise<Set<string>> {
  const rows = await tx.query<{ request_id: string; thumbprint: string }>('SELECT request_id, thumbprint FROM chain_complete WHERE request_id = ANY ($1)', [
    sorted(requestIds),
  ]);
  return new Set(rows.map((r) => completeKey(r.request_id, r.thumbprint)));
}

export const completeKey = (requestId: string, thumbprint: string) => `${requestId}|${thumbprint}`;

/** The assignments asked for and not bound yet, by request id. */
export async function readWanted(tx: FactTx, requestIds: readonly string[]): Promise<Map<string, AssignmentRequested>> {
  const rows = await tx.query<{ request_id: string; request: AssignmentRequested }>(
    'SELECT request_id, request FROM assignment_wanted WHERE request_id = ANY ($1) AND bound_at IS NULL',
    [sorted(requestIds)],
  );
  return new Map(rows.map((r) => [r.request_id, r.request]));
}

function sorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** Which of `thumbprints` were revoked: such a certificate is not bound (read under the request locks the revocation takes too). */
export async function readRevoked(tx: FactTx, thumbprints: readonly string[]): Promise<Set<string>> {
  const rows = await tx.query<{ thumbprint: string }>('SELECT thumbprint FROM revoked_certificate WHERE thumbprint = ANY ($1)', [sorted(thumbprints)]);
  return new Set(rows.map((r) => r.thumbprint));
}
