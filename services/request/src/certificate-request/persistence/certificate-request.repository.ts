import type { EntityManager } from 'typeorm';
import { runStatement } from '@certflow/persistence';
import type { CloudEvent } from '@certflow/contracts';
import { inboxClaimSql, outboxInsertSql, outboxParameter } from '@certflow/messaging';
import { stateAfter, type RequestEvent, type RequestSnapshot } from '../domain/certificate-request.state';
import { toRecord, toSnapshot } from './certificate-request.mapper';
import { changedColumns, columns, mutableValues } from './certificate-request.columns';
import { CertificateRequestRow } from './certificate-request.orm-entity';
import { isUuid } from '@certflow/contracts';

/** Stands in for an id that is not a UUID: no request has it. */
const NO_REQUEST = '00000000-0000-0000-0000-000000000000';

/** A new request as `insertMany` stores it: the request, the events that made it, its key and the events to publish. */
export interface NewRequestRow {
  request: RequestSnapshot;
  events: RequestEvent[];
  extra: { idempotencyKey: string | null; bodyHash: string | null };
  outgoing: CloudEvent[];
}

/** Loads and stores requests inside the caller's transaction. */
export class CertificateRequestRepository {
  /** Locks the row (FOR UPDATE) so concurrent facts about one request apply one after another. */
  static async loadForUpdate(m: EntityManager, id: string): Promise<RequestSnapshot | null> {
    // Ids come from URLs: anything that is not a UUID names no request (PostgreSQL would refuse the cast).
    if (!isUuid(id)) return null;
    const row = await m.getRepository(CertificateRequestRow).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    return row ? toSnapshot(row) : null;
  }

  /**
   * For a fact another service published: whether inbox `consumer` handled event `eventId` before,
   * and the request with its version, without a lock (see `updateOnce`).
   */
  static async loadForFact(m: EntityManager, consumer: string, eventId: string, id: string): Promise<{ seen: boolean; request: RequestSnapshot | null; version: number }> {
    const [result] = await runStatement<{ seen: boolean; row: Record<string, unknown> | null }>(
      m,
      `SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2) AS seen,
              (SELECT to_jsonb(r) FROM certificate_request r WHERE r.id = $3) AS row`,
      [consumer, eventId, isUuid(id) ? id : NO_REQUEST],
    );
    return { seen: result.seen, request: result.row ? toSnapshot(fromJson(result.row)) : null, version: Number(result.row?.version ?? 0) };
  }

  /**
   * Applies a fact in ONE statement, optimistically: the new state (only if the row is still at
   * `version`), the inbox claim, the history and the outgoing events, each conditional on the
   * update. `false` when another change got there first: read again and decide again. A concurrent
   * delivery of the same event changes the version too, and an event the inbox already holds
   * changes nothing (the caller may have skipped the inbox read), so it can never apply twice.
   */
  static async updateOnce(
    m: EntityManager,
    fact: { consumer: string; eventId: string; version: number },
    before: RequestSnapshot,
    after: RequestSnapshot,
    events: RequestEvent[],
    outgoing: CloudEvent[],
  ): Promise<boolean> {
    const set = changedColumns(toRecord(before), toRecord(after), 7);
    const [result] = await runStatement<{ updated: boolean }>(
      m,
      `WITH updated AS (UPDATE certificate_request SET ${set.sql}, version = version + 1 WHERE id = $1 AND version = $4 AND NOT EXISTS (SELECT 1 FROM inbox WHERE consumer = $5 AND event_id = $6) RETURNING id),
       fresh AS (${inboxClaimSql(5, 6, 'WHERE EXISTS (SELECT 1 FROM updated)')}),
       history AS (${historyInsert(2, 'WHERE EXISTS (SELECT 1 FROM updated)')}),
       published AS (${outboxInsertSql(3, 'WHERE EXISTS (SELECT 1 FROM updated)')})
       SELECT EXISTS (SELECT 1 FROM updated) AS updated`,
      [after.id, historyParameter(events, before.state), outboxParameter(outgoing), fact.version, fact.consumer, fact.eventId, ...set.values],
    );
    return result.updated;
  }

  /** Marks a fact handled that changed nothing. */
  static async claimOnly(m: EntityManager, consumer: string, eventId: string): Promise<void> {
    await runStatement(m, inboxClaimSql(1, 2), [consumer, eventId]);
  }

  /**
   * Stores a new request, its history and its outgoing events in one statement: each round trip to
   * PostgreSQL costs more than the rows it carries, and this runs for every request.
   */
  static async insert(
    m: EntityManager,
    s: RequestSnapshot,
    events: RequestEvent[],
    extra: { idempotencyKey: string | null; bodyHash: string | null },
    outgoing: CloudEvent[],
  ): Promise<void> {
    const r = columns(toRecord(s));
    await runStatement(
      m,
      `WITH inserted AS (
         INSERT INTO certificate_request (id, host, issuer, friendly_name, csr, auto_assign, idempotency_key, body_hash, created_at,
           state, usages, thumbprint, certificate, chain, was_incomplete, validation, assignment, assignment_requested_at, failure, pending_detail, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${mutableValues(10)}) RETURNING id),
       history AS (${historyInsert(22)})
       ${outboxInsertSql(23)}`,
      [s.id, s.host, s.issuer, s.friendlyName, s.csr, s.autoAssign, extra.idempotencyKey, extra.bodyHash, s.createdAt, ...r, historyParameter(events), outboxParameter(outgoing)],
    );
  }

  /**
   * Stores many new requests (POST /api/v1/requests/batch) in one statement whose three inserts each
   * carry every row: a thousand requests cost one round trip, not a thousand. A request whose
   * idempotency key another call stored meanwhile is left out with its history and events; the ids
   * stored are returned.
   */
  static async insertMany(m: EntityManager, rows: NewRequestRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const requests = rows.map(({ request: s, extra }) => {
      const [state, usages, thumbprint, certificate, chain, wasIncomplete, validation, assignment, assignmentRequestedAt, failure, pendingDetail, updatedAt] = columns(toRecord(s));
      return {
        id: s.id, host: s.host, issuer: s.issuer, friendly_name: s.friendlyName, csr: s.csr, auto_assign: s.autoAssign,
        idempotency_key: extra.idempotencyKey, body_hash: extra.bodyHash, created_at: s.createdAt,
        state, usages, thumbprint, certificate, chain, was_incomplete: wasIncomplete, validation, assignment,
        assignment_requested_at: assignmentRequestedAt, failure, pending_detail: pendingDetail, updated_at: updatedAt,
      };
    });
    const history = rows.flatMap((r) => (JSON.parse(historyParameter(r.events)) as object[]).map((h) => ({ requestId: r.request.id, ...h })));
    const stored = await runStatement<{ id: string }>(
      m,
      `WITH inserted AS (
         INSERT INTO certificate_request (id, host, issuer, friendly_name, csr, auto_assign, idempotency_key, body_hash, created_at,
           state, usages, thumbprint, certificate, chain, was_incomplete, validation, assignment, assignment_requested_at, failure, pending_detail, updated_at)
         SELECT id, host, issuer, friendly_name, csr, auto_assign, idempotency_key, body_hash, created_at,
           state, usages::jsonb, thumbprint, certificate, chain::jsonb, was_incomplete, validation::jsonb, assignment::jsonb, assignment_requested_at, failure::jsonb, pending_detail, updated_at
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, host text, issuer text, friendly_name text, csr text, auto_assign boolean, idempotency_key text, body_hash text,
           created_at timestamptz, state text, usages text, thumbprint text, certificate text, chain text, was_incomplete boolean, validation text, assignment text,
           assignment_requested_at timestamptz, failure text, pending_detail text, updated_at timestamptz)
         ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING id),
       history AS (
         INSERT INTO request_history (request_id, state, at, reason)
         SELECT (h->>'requestId')::uuid, h->>'state', (h->>'at')::timestamptz, h->>'reason'
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(h, ord) WHERE (h->>'requestId')::uuid IN (SELECT id FROM inserted) ORDER BY ord),
       published AS (${outboxInsertSql(3, `WHERE e->>'subject' IN (SELECT id::text FROM inserted)`)})
       SELECT id FROM inserted`,
      [JSON.stringify(requests), JSON.stringify(history), outboxParameter(rows.flatMap((r) => r.outgoing))],
    );
    return new Set(stored.map((r) => r.id));
  }

  /** Stores the new state, its history and its outgoing events in one statement (see `insert`). */
  static async update(m: EntityManager, before: RequestSnapshot, after: RequestSnapshot, events: RequestEvent[], outgoing: CloudEvent[]): Promise<void> {
    const set = changedColumns(toRecord(before), toRecord(after), 4);
    // A command whose events change nothing the row holds (an offline upload: the request moves only
    // when ca-gateway answers) leaves the row and its version alone and only queues what it says.
    if (set.values.length === 1 && before.updatedAt.getTime() === after.updatedAt.getTime() && historyParameter(events, before.state) === '[]') {
      if (outgoing.length > 0) await runStatement(m, outboxInsertSql(1), [outboxParameter(outgoing)]);
      return;
    }
    await runStatement(
      m,
      `WITH updated AS (UPDATE certificate_request SET ${set.sql}, version = version + 1 WHERE id = $1 RETURNING id),
       history AS (${historyInsert(2)})
       ${outboxInsertSql(3)}`,
      [after.id, historyParameter(events, before.state), outboxParameter(outgoing), ...set.values],
    );
  }
}

/** History rows of request `$1` from the jsonb parameter `$n`, in order. */
function historyInsert(n: number, where = ''): string {
  return `INSERT INTO request_history (request_id, state, at, reason)
         SELECT $1, h->>'state', (h->>'at')::timestamptz, h->>'reason'
         FROM jsonb_array_elements($${n}::jsonb) WITH ORDINALITY AS x(h, ord) ${where} ORDER BY ord`;
}

/** The states the events lead to, as history rows; a state repeated in a row is written once. */
function historyParameter(events: RequestEvent[], from?: string): string {
  let current = from;
  const rows: { state: string; at: string; reason: string | null }[] = [];
  for (const e of events) {
    const state = stateAfter(e);
    if (!state || state === current) continue;
    current = state;
    rows.push({ state, at: e.at.toISOString(), reason: reasonOf(e) });
  }
  return JSON.stringify(rows);
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

/** A row as `to_jsonb` gives it (snake_case keys) → the entity's property names. */
function fromJson(json: Record<string, unknown>): CertificateRequestRow {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) row[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return row as unknown as CertificateRequestRow;
}
