import type { CertificateUnassignedV1, EventData, Usage } from '@certflow/contracts';
import { updateRow, type Write } from '@certflow/messaging';
import type { BoundUsage, HostBindings } from '../persistence/assignment.reads';
import { CERTIFICATE_WATCH } from '../persistence/certificate-watch.table';

type Unassigned = EventData<typeof CertificateUnassignedV1>;

/**
 * What a new binding took from the requests that held those usages before: the `replaced` list of
 * certificate.assigned, one certificate.unassigned per old request, and the old watch rows narrowed
 * to the usages left (released when none is left, so the watch sends nothing more for them).
 *
 * `previous` is usage → the holder before this binding (null: it was free); `bindings` already holds
 * the new binding. A holder with the same certificate under another request id loses its watch row's
 * usages too (or both would warn), but it is no replacement: no event names it.
 */
export function takeOver(
  next: { requestId: string; thumbprint: string; host: string },
  previous: ReadonlyMap<string, BoundUsage | null>,
  bindings: HostBindings,
  at: Date,
): { replaced: { usage: Usage; thumbprint: string }[]; unassigned: Unassigned[]; writes: Write[] } {
  const byRequest = new Map<string, { thumbprint: string; usages: Usage[] }>();
  for (const [usage, holder] of previous) {
    if (!holder || holder.requestId === next.requestId) continue;
    const taken = byRequest.get(holder.requestId) ?? { thumbprint: holder.thumbprint, usages: [] };
    taken.usages.push(usage as Usage);
    byRequest.set(holder.requestId, taken);
  }
  const replaced: { usage: Usage; thumbprint: string }[] = [];
  const unassigned: Unassigned[] = [];
  const writes: Write[] = [];
  for (const [requestId, taken] of byRequest) {
    const remaining = bindings.usagesOf(next.host, requestId) as Usage[];
    const releasedAt = remaining.length === 0 ? at : null;
    const pending = bindings.newWatches.get(requestId);
    if (pending) {
      // Inserted by this same batch: change the row the insert carries.
      pending.usages = remaining;
      pending.releasedAt = releasedAt;
    } else {
      writes.push(updateRow(CERTIFICATE_WATCH, { requestId, usages: remaining, releasedAt }, ['usages', 'releasedAt']));
    }
    if (taken.thumbprint === next.thumbprint) continue;
    replaced.push(...taken.usages.map((usage) => ({ usage, thumbprint: taken.thumbprint })));
    unassigned.push({
      requestId,
      host: next.host,
      thumbprint: taken.thumbprint,
      usages: taken.usages,
      reason: 'replaced',
      remaining,
      replacedBy: { requestId: next.requestId, thumbprint: next.thumbprint },
    });
  }
  return { replaced, unassigned, writes };
}
