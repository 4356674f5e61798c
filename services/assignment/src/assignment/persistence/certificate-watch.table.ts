import type { RotationPolicy } from '@certflow/contracts';
import { defineTable } from '@certflow/messaging';

/** One bound request as the expiry watch sees it (migration 1700000003200 says what each column holds). */
export interface WatchRecord {
  requestId: string;
  thumbprint: string;
  host: string;
  usages: string[];
  issuer: string | null;
  rotationPolicy: RotationPolicy;
  renewalOf: string | null;
  notBefore: Date;
  notAfter: Date;
  renewAt: Date;
  renewalDueSentAt: Date | null;
  lastWarnedDays: number | null;
  expiredSentAt: Date | null;
  nextDueAt: Date | null;
  releasedAt: Date | null;
  createdAt: Date;
}

export const CERTIFICATE_WATCH = defineTable<WatchRecord>(
  'certificate_watch',
  {
    requestId: { name: 'request_id', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    host: { name: 'host', type: 'text' },
    usages: { name: 'usages', type: 'jsonb' },
    issuer: { name: 'issuer', type: 'text' },
    rotationPolicy: { name: 'rotation_policy', type: 'text' },
    renewalOf: { name: 'renewal_of', type: 'text' },
    notBefore: { name: 'not_before', type: 'timestamptz' },
    notAfter: { name: 'not_after', type: 'timestamptz' },
    renewAt: { name: 'renew_at', type: 'timestamptz' },
    renewalDueSentAt: { name: 'renewal_due_sent_at', type: 'timestamptz' },
    lastWarnedDays: { name: 'last_warned_days', type: 'int' },
    expiredSentAt: { name: 'expired_sent_at', type: 'timestamptz' },
    nextDueAt: { name: 'next_due_at', type: 'timestamptz' },
    releasedAt: { name: 'released_at', type: 'timestamptz' },
    createdAt: { name: 'created_at', type: 'timestamptz' },
  },
  ['requestId'],
);

/** The columns as PostgreSQL returns them, for the watch's plain SQL reads. */
export interface WatchRow {
  request_id: string;
  thumbprint: string;
  host: string;
  usages: string[];
  issuer: string | null;
  rotation_policy: RotationPolicy;
  renewal_of: string | null;
  not_before: Date;
  not_after: Date;
  renew_at: Date;
  renewal_due_sent_at: Date | null;
  last_warned_days: number | null;
  expired_sent_at: Date | null;
  next_due_at: Date | null;
  released_at: Date | null;
  created_at: Date;
}

export function watchRecordOf(r: WatchRow): WatchRecord {
  return {
    requestId: r.request_id,
    thumbprint: r.thumbprint,
    host: r.host,
    usages: r.usages,
    issuer: r.issuer,
    rotationPolicy: r.rotation_policy,
    renewalOf: r.renewal_of,
    notBefore: new Date(r.not_before),
    notAfter: new Date(r.not_after),
    renewAt: new Date(r.renew_at),
    renewalDueSentAt: r.renewal_due_sent_at && new Date(r.renewal_due_sent_at),
    lastWarnedDays: r.last_warned_days,
    expiredSentAt: r.expired_sent_at && new Date(r.expired_sent_at),
    nextDueAt: r.next_due_at && new Date(r.next_due_at),
    releasedAt: r.released_at && new Date(r.released_at),
    createdAt: new Date(r.created_at),
  };
}
