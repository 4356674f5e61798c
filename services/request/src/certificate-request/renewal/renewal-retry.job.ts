import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@certflow/contracts';
import { upsertRow, type FactTx, type ScheduledJob, type ScheduledWork, type Write } from '@certflow/messaging';
import { renewalsTotal } from '../../operations/metrics/renewal.metrics';
import { CertificateRequestRepository } from '../persistence/certificate-request.repository';
import { renewalBackoffMs, type RetryBounds } from './renewal-backoff';
import { RENEWAL_RETRY } from './renewal-retry.tables';
import { OPEN_RENEWAL, openRenewals, renewalOf, submissionWrites } from './renewal.submission';

/**
 * 'Never' requests whose last renewal FAILED, still ASSIGNED with none open, and not scheduled for
 * this many failures yet: each gets (again) a retry row. The failures are counted from the FAILED
 * renewals themselves, so nothing has to be written when a renewal fails.
 */
const TO_SCHEDULE = `
  SELECT o.id AS renewal_of, count(f.id)::int AS failed,
         (array_agg(f.failure->>'code' || ': ' || (f.failure->>'message') ORDER BY f.updated_at DESC))[1] AS last_error
    FROM certificate_request o
    JOIN certificate_request f ON f.renewal_of = o.id AND f.state = 'FAILED'
    LEFT JOIN renewal_retry r ON r.renewal_of = o.id
   WHERE o.state = 'ASSIGNED' AND o.rotation_policy = 'Never'
     AND NOT EXISTS (SELECT 1 FROM certificate_request x WHERE x.renewal_of = o.id AND x.${OPEN_RENEWAL})
   GROUP BY o.id, r.attempts
  HAVING r.attempts IS NULL OR count(f.id) > r.attempts
   LIMIT $1`;

const DUE = `SELECT renewal_of, attempts FROM renewal_retry WHERE next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`;

/**
 * Re-submits failed automatic renewals ('Never') after a backoff with jitter (renewalBackoffMs),
 * with the stored CSR, in the round's transaction. An 'Always' renewal that fails is the host's to
 * retry (its agent does, with backoff); it shows as failed, then overdue.
 */
export class RenewalRetryJob implements ScheduledJob {
  readonly name = 'renewal-retry';

  constructor(
    private readonly bounds: RetryBounds,
    private readonly random: () => number = Math.random,
  ) {}

  async due(tx: FactTx, now: Date, limit: number): Promise<ScheduledWork> {
    const writes: Write[] = [];
    const publish: CloudEvent[] = [];
    const scheduled = await tx.query<{ renewal_of: string; failed: number; last_error: string | null }>(TO_SCHEDULE, [limit]);
    for (const s of scheduled) {
      const attempts = Number(s.failed);
      writes.push(
        upsertRow(RENEWAL_RETRY, { renewalOf: s.renewal_of, attempts, nextAttemptAt: new Date(now.getTime() + renewalBackoffMs(attempts, this.bounds, this.random)), lastError: s.last_error }, ['attempts', 'nextAttemptAt', 'lastError']),
      );
    }
    const due = await tx.query<{ renewal_of: string; attempts: number }>(DUE, [now, limit]);
    if (due.length > 0) {
      const ids = due.map((d) => d.renewal_of);
      const locked = await CertificateRequestRepository.lock(tx.query, ids);
      const open = await openRenewals(tx.query, ids);
      for (const id of ids) {
        const old = locked.get(id)?.request;
        if (old && old.state === 'ASSIGNED' && old.rotationPolicy === 'Never' && !open.has(id)) {
          const renewal = submissionWrites(renewalOf(old, { id: randomUUID(), at: now }));
          writes.push(...renewal.writes);
          publish.push(...renewal.publish);
        }
      }
      // Submitted, or no longer needed (renewed meanwhile, superseded): the next failure schedules anew.
      await tx.query(`DELETE FROM renewal_retry WHERE renewal_of = ANY ($1::uuid[])`, [ids]);
    }
    return { writes, publish, taken: scheduled.length + due.length };
  }

  committed(work: ScheduledWork): void {
    const started = work.publish.length;
    if (started > 0) renewalsTotal.inc({ outcome: 'started' }, started);
  }
}
