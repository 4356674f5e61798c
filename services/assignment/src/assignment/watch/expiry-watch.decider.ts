import type { CertificateExpiredV1, CertificateExpiringV1, CertificateRenewalDueV1, EventData, Usage } from '@certflow/contracts';
import type { WatchRecord } from '../persistence/certificate-watch.table';

/**
 * The expiry watch's decision for one bound certificate, with no database and no clock of its own:
 * which lifecycle events are due at `now`, and what the row must remember so each goes out once.
 * Every event is sent only when `now` has reached its instant, so a clock that went backwards sends
 * nothing early; and only the latest window reached is sent, never the earlier ones it skipped.
 */

export const DAY_MS = 86_400_000;

export type WatchEvent =
  | { type: 'renewal-due'; data: EventData<typeof CertificateRenewalDueV1> }
  | { type: 'expiring'; data: EventData<typeof CertificateExpiringV1> }
  | { type: 'expired'; data: EventData<typeof CertificateExpiredV1> };

/** What the row keeps after the decision; always all four fields, so every round writes one statement shape. */
export type WatchPatch = Pick<WatchRecord, 'renewalDueSentAt' | 'lastWarnedDays' | 'expiredSentAt' | 'nextDueAt'>;

export type WatchState = Pick<
  WatchRecord,
  'requestId' | 'thumbprint' | 'host' | 'usages' | 'issuer' | 'rotationPolicy' | 'notAfter' | 'renewAt' | 'renewalDueSentAt' | 'lastWarnedDays' | 'expiredSentAt' | 'releasedAt'
>;

/** The renewal-due event needs an issuer name; a request bound before requests carried one says so plainly. */
export const UNKNOWN_ISSUER = 'unknown';

/**
 * Decides one row at `now`. `warnDays` are the expiring thresholds in days (any order).
 * - renewal-due once, when now ≥ renewAt (also if the certificate already expired);
 * - expired once, when now ≥ notAfter (then no expiring);
 * - else expiring for the smallest threshold reached, if smaller than the last one sent;
 * - nextDueAt: the earliest instant still to come (null: nothing more to send).
 */
export function decideWatch(row: WatchState, now: Date, warnDays: readonly number[]): { events: WatchEvent[]; patch: WatchPatch } {
  const patch: WatchPatch = { renewalDueSentAt: row.renewalDueSentAt, lastWarnedDays: row.lastWarnedDays, expiredSentAt: row.expiredSentAt, nextDueAt: null };
  // A released row is bound nowhere: nothing is due for it, ever.
  if (row.releasedAt) return { events: [], patch };
  const t = now.getTime();
  const notAfter = row.notAfter.getTime();
  const base = { requestId: row.requestId, host: row.host, thumbprint: row.thumbprint, notAfter: row.notAfter.toISOString(), usages: row.usages as Usage[] };
  const events: WatchEvent[] = [];

  if (!patch.renewalDueSentAt && t >= row.renewAt.getTime()) {
    events.push({
      type: 'renewal-due',
      data: { ...base, issuer: row.issuer ?? UNKNOWN_ISSUER, rotationPolicy: row.rotationPolicy, dueAt: row.renewAt.toISOString() },
    });
    patch.renewalDueSentAt = now;
  }

  if (t >= notAfter) {
    if (!patch.expiredSentAt) {
      events.push({ type: 'expired', data: base });
      patch.expiredSentAt = now;
    }
  } else {
    const reached = warnDays.filter((d) => t >= notAfter - d * DAY_MS);
    if (reached.length > 0) {
      const threshold = Math.min(...reached);
      if (patch.lastWarnedDays === null || threshold < patch.lastWarnedDays) {
        events.push({ type: 'expiring', data: { ...base, daysLeft: Math.ceil((notAfter - t) / DAY_MS), threshold } });
        patch.lastWarnedDays = threshold;
      }
    }
  }

  const ahead: number[] = [];
  if (!patch.renewalDueSentAt) ahead.push(row.renewAt.getTime());
  for (const d of warnDays) if (patch.lastWarnedDays === null || d < patch.lastWarnedDays) ahead.push(notAfter - d * DAY_MS);
  if (!patch.expiredSentAt) ahead.push(notAfter);
  const next = ahead.filter((at) => at > t);
  patch.nextDueAt = next.length > 0 ? new Date(Math.min(...next)) : null;
  return { events, patch };
}

/**
 * When the renewal window opens: notAfter − renewBefore, where renewBefore is the request's, else
 * the service's default, else a third of the lifetime; never before notBefore.
 */
export function renewAtOf(notBefore: Date, notAfter: Date, renewBeforeSeconds: number | null): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const before = renewBeforeSeconds !== null ? renewBeforeSeconds * 1000 : Math.floor(lifetime / 3);
  return new Date(Math.max(notBefore.getTime(), notAfter.getTime() - before));
}
