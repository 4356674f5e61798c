import type { EntityManager } from 'typeorm';
import { runStatement } from '@certflow/persistence';
import { isUuid, type CloudEvent } from '@certflow/contracts';
import { outboxWrites, planWrites, type Write } from '@certflow/messaging';
import type { RequestEvent, RequestSnapshot } from '../domain/certificate-request.state';
import { toSnapshot } from './certificate-request.mapper';
import { CertificateRequestRow } from './certificate-request.orm-entity';
import { historyInserts, requestInsert, requestUpdate } from './certificate-request.writes';

/** A request as read under lock, with the version its next change writes on from. */
export interface LockedRequest {
  request: RequestSnapshot;
  version: number;
}

/** A new request as `insertMany` stores it: the request, the events that made it, its key and the events to publish. */
export interface NewRequestRow {
  request: RequestSnapshot;
  events: RequestEvent[];
  extra: { idempotencyKey: string | null; bodyHash: string | null };
  outgoing: CloudEvent[];
}

/** How a read reaches PostgreSQL: a fact batch's `tx.query`, or a manager's transaction (`queryThrough`). */
export type Query = <T = Record<string, unknown>>(text: string, values: unknown[]) => Promise<T[]>;

/** Every column, the lock in id order: two batches about the same requests lock them in the same order. */
const LOCK = `SELECT * FROM certificate_request WHERE id = ANY ($1::uuid[]) ORDER BY id FOR UPDATE`;

/** Loads and stores requests inside the caller's transaction. */
export class CertificateRequestRepository {
  /**
   * Locks the requests (FOR UPDATE, in id order) so concurrent changes of one request apply one
   * after another, and reads them. Ids that are not UUIDs (they come from URLs and facts) name no request.
   */
  static async lock(query: Query, ids: readonly string[]): Promise<Map<string, LockedRequest>> {
    const valid = [...new Set(ids.filter(isUuid))].sort();
    if (valid.length === 0) return new Map();
    const rows = await query<Record<string, unknown>>(LOCK, [valid]);
    return new Map(rows.map((r) => [r.id as string, { request: toSnapshot(fromColumns(r)), version: Number(r.version) }]));
  }

  /** As `lock`, for one request through `m`'s transaction. */
  static async lockOne(m: EntityManager, id: string): Promise<LockedRequest | null> {
    return (await this.lock(queryThrough(m), [id])).get(id) ?? null;
  }

  /** The request, locked; null when there is none. */
  static async loadForUpdate(m: EntityManager, id: string): Promise<RequestSnapshot | null> {
    return (await this.lockOne(m, id))?.request ?? null;
  }

  /** Stores a new request, its history and its outgoing events, all or nothing (in `m`'s transaction, or one of its own). */
  static async insert(
    m: EntityManager,
    s: RequestSnapshot,
    events: RequestEvent[],
    extra: { idempotencyKey: string | null; bodyHash: string | null },
    outgoing: CloudEvent[],
  ): Promise<void> {
    await execute(m, [requestInsert(s, extra), ...historyInserts(s.id, events), ...outboxWrites(outgoing)]);
  }

  /**
   * Stores many new requests (POST /api/v1/requests/batch) with one multi-row statement per table,
   * whatever their number. A request whose idempotency key another call stored meanwhile is left out
   * with its history and events; the ids stored are returned.
   */
  static async insertMany(m: EntityManager, rows: NewRequestRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    if (!m.queryRunner?.isTransactionActive) return m.transaction((tx) => this.insertMany(tx, rows));
    const stored = new Set<string>();
    for (const st of planWrites(rows.map((r) => requestInsert(r.request, r.extra, 'skip')), { returningKeys: true })) {
      for (const row of await runStatement<{ id: string }>(m, st.text, st.values)) stored.add(row.id);
    }
    const kept = rows.filter((r) => stored.has(r.request.id));
    await execute(m, kept.flatMap((r) => [...historyInserts(r.request.id, r.events), ...outboxWrites(r.outgoing)]));
    return stored;
  }

  /**
   * Stores the new state (on `version`, the one read under lock), its history and its outgoing
   * events. A command whose events change nothing the row holds (an offline upload) only queues what it says.
   */
  static async update(m: EntityManager, locked: LockedRequest, after: RequestSnapshot, events: RequestEvent[], outgoing: CloudEvent[]): Promise<void> {
    const row = requestUpdate(locked.request, after, locked.version + 1);
    await execute(m, [...(row ? [row, ...historyInserts(after.id, events, locked.request.state)] : []), ...outboxWrites(outgoing)]);
  }
}

/** Runs `writes` in `m`'s transaction, or in a transaction of its own when `m` has none (they are several statements). */
async function execute(m: EntityManager, writes: Write[]): Promise<void> {
  if (!m.queryRunner?.isTransactionActive) return m.transaction((tx) => execute(tx, writes));
  for (const st of planWrites(writes)) await runStatement(m, st.text, st.values);
}

/** Reads through `m` as prepared statements (on its transaction's connection when it has one). */
export function queryThrough(m: EntityManager): Query {
  return <T>(text: string, values: unknown[]) => runStatement<T>(m, text, values) as Promise<T[]>;
}

/** A row as PostgreSQL names its columns (snake_case) → the entity's property names. */
function fromColumns(columns: Record<string, unknown>): CertificateRequestRow {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(columns)) row[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return row as unknown as CertificateRequestRow;
}
