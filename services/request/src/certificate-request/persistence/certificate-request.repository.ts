import type { EntityManager } from 'typeorm';
import { stateAfter, type RequestEvent, type RequestSnapshot } from '../domain/certificate-request.state';
import { toRow, toSnapshot } from './certificate-request.mapper';
import { CertificateRequestRow, RequestHistoryRow } from './certificate-request.orm-entity';

/** Loads and stores requests inside the caller's transaction. */
export class CertificateRequestRepository {
  /** Locks the row (FOR UPDATE) so concurrent facts about one request apply one after another. */
  static async loadForUpdate(m: EntityManager, id: string): Promise<RequestSnapshot | null> {
    const row = await m.getRepository(CertificateRequestRow).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    return row ? toSnapshot(row) : null;
  }

  static async insert(
    m: EntityManager,
    s: RequestSnapshot,
    events: RequestEvent[],
    extra: { idempotencyKey: string | null; bodyHash: string | null },
  ): Promise<void> {
    await m.getRepository(CertificateRequestRow).insert(toRow(s, extra));
    await this.appendHistory(m, s.id, events);
  }

  static async update(m: EntityManager, before: RequestSnapshot, after: RequestSnapshot, events: RequestEvent[]): Promise<void> {
    await m.getRepository(CertificateRequestRow).update({ id: after.id }, toRow(after, null));
    await this.appendHistory(m, after.id, events, before.state);
  }

  private static async appendHistory(m: EntityManager, id: string, events: RequestEvent[], from?: string): Promise<void> {
    let current = from;
    const rows: Partial<RequestHistoryRow>[] = [];
    for (const e of events) {
      const state = stateAfter(e);
      if (!state || state === current) continue;
      current = state;
      rows.push({ requestId: id, state, at: e.at, reason: reasonOf(e) });
    }
    if (rows.length) await m.getRepository(RequestHistoryRow).insert(rows);
  }
}

function reasonOf(e: RequestEvent): string | null {
  switch (e.type) {
    case 'Pending':
      return e.detail ?? null;
    case 'ChainIncomplete':
      return e.missing.map((g) => `missing ${g.kind} ${g.subject}`).join('; ');
    case 'Failed':
      return `${e.code}: ${e.message}`;
    case 'Assigned':
      return `assigned to ${e.usages.join(', ')}`;
    default:
      return null;
  }
}
