import { CertificateExpiredV1, CertificateExpiringV1, CertificateRenewalDueV1, createEvent, type CloudEvent } from '@certflow/contracts';
import { updateRow, type FactTx, type ScheduledJob, type ScheduledWork, type Write } from '@certflow/messaging';
import { EVENT_SOURCE } from '../assign-certificate.service';
import { CERTIFICATE_WATCH, watchRecordOf, type WatchRow } from '../persistence/certificate-watch.table';
import { decideWatch, type WatchEvent } from './expiry-watch.decider';

export const EXPIRY_WATCH_JOB = 'assignment.expiry-watch';

/**
 * The expiry watch as a scheduled job: each round takes the bound rows due at `now` (the partial
 * index on next_due_at; SKIP LOCKED, so instances share rows and never decide one twice at once),
 * lets decideWatch say what goes out, and moves each row's next_due_at on in the same transaction.
 */
export class ExpiryWatchJob implements ScheduledJob {
  readonly name = EXPIRY_WATCH_JOB;

  constructor(private readonly warnDays: readonly number[]) {}

  async due(tx: FactTx, now: Date, limit: number): Promise<ScheduledWork> {
    const rows = await tx.query<WatchRow>(
      `SELECT * FROM certificate_watch
        WHERE released_at IS NULL AND next_due_at IS NOT NULL AND next_due_at <= $1
        ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    const writes: Write[] = [];
    const publish: CloudEvent[] = [];
    for (const raw of rows) {
      const row = watchRecordOf(raw);
      const { events, patch } = decideWatch(row, now, this.warnDays);
      writes.push(updateRow(CERTIFICATE_WATCH, { requestId: row.requestId, ...patch }, ['renewalDueSentAt', 'lastWarnedDays', 'expiredSentAt', 'nextDueAt']));
      publish.push(...events.map((e) => toCloudEvent(e, now)));
    }
    return { writes, publish, taken: rows.length };
  }
}

function toCloudEvent(e: WatchEvent, now: Date): CloudEvent {
  const meta = { source: EVENT_SOURCE, subject: e.data.requestId, time: now };
  switch (e.type) {
    case 'renewal-due':
      return createEvent(CertificateRenewalDueV1, e.data, meta);
    case 'expiring':
      return createEvent(CertificateExpiringV1, e.data, meta);
    case 'expired':
      return createEvent(CertificateExpiredV1, e.data, meta);
    default: {
      const unknown: never = e;
      throw new Error(`unknown watch event ${JSON.stringify(unknown)}`);
    }
  }
}
