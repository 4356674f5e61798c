import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DATA_SOURCE, runStatement } from '@certflow/persistence';
import { ApiError } from '../../http/api-error';
import { requireSingleValues } from '../../http/query-params';
import { planWrites } from '@certflow/messaging';
import { auditWrite } from './audit.tables';

/**
 * What an audit entry records. Stable strings clients may filter on:
 * - `trust.imported`, `trust.removed`: a trust-store change (from trust.updated; subject = thumbprint)
 * - `certificate.assigned`: a certificate bound to a host (subject = request id; actor = who pressed
 *   Assign, or `auto` when autoAssign bound it)
 * - `token.created`, `token.revoked`: API token lifecycle (subject = token id)
 * - `certificate.revocation-requested`: POST .../revoke accepted (subject = SHA-1 thumbprint; details
 *   requestId, reason, renew)
 */
export const AUDIT_KINDS = ['trust.imported', 'trust.removed', 'certificate.assigned', 'token.created', 'token.revoked', 'certificate.revocation-requested'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** One audit entry as the API shows it; `id` orders entries (later entries have larger ids). */
export interface AuditEntryView {
  id: string;
  at: string;
  kind: AuditKind;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
}

export interface NewAuditEntry {
  at: Date;
  kind: AuditKind;
  actor: string;
  subject: string;
  details?: Record<string, unknown>;
  /** The event it was made from, when it was: a second entry for the same event is not written. */
  eventId?: string;
}

/** The table of the audit log; the runtime database role may only INSERT into it and SELECT from it. */
export const AUDIT_TABLE = 'audit_entry';

/** The `audit_entry` table: appended to in the transaction of what it records, never changed. */
@Injectable()
export class AuditStore {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async append(m: EntityManager, e: NewAuditEntry): Promise<void> {
    for (const st of planWrites([auditWrite(e)])) await runStatement(m, st.text, st.values);
  }

  /** Newest first; `cursor` is the nextCursor of the previous page. */
  async list(q: { kind?: string; actor?: string; limit?: string; cursor?: string }): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    requireSingleValues(q);
    if (q.kind !== undefined && !(AUDIT_KINDS as readonly string[]).includes(q.kind)) {
      throw new ApiError(400, 'INVALID_KIND', `kind must be one of ${AUDIT_KINDS.join(', ')}`);
    }
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ApiError(400, 'INVALID_LIMIT', 'limit must be a whole number from 1 to 500');
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.kind) where.push(`kind = $${params.push(q.kind)}`);
    if (q.actor) where.push(`actor = $${params.push(q.actor)}`);
    if (q.cursor) where.push(`seq < $${params.push(decodeCursor(q.cursor))}`);
    const rows: { seq: string; at: Date; kind: AuditKind; actor: string; subject: string; details: Record<string, unknown> }[] = await this.ds.query(
      `SELECT seq, at, kind, actor, subject, details FROM audit_entry ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT $${params.push(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const items = page.map((r) => ({ id: String(r.seq), at: new Date(r.at).toISOString(), kind: r.kind, actor: r.actor, subject: r.subject, details: r.details }));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(String(last.seq)) : null };
  }
}

function encodeCursor(seq: string): string {
  return Buffer.from(JSON.stringify({ seq })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { seq: unknown };
    if (typeof c.seq === 'string' && /^[1-9][0-9]{0,18}$/.test(c.seq)) return c.seq;
  } catch {
    /* answered below */
  }
  throw new ApiError(400, 'INVALID_CURSOR', 'cursor must be the nextCursor of a previous page');
}
