import type { EntityManager } from 'typeorm';
import type { CloudEvent } from '@certflow/contracts';
import { inboxClaimSql, outboxInsertSql, outboxParameter } from '@certflow/messaging';
import { runStatement } from '@certflow/persistence';
import { IssuanceOrmEntity } from './issuance.orm-entity';
import { type IssuanceOutcome, stateOf } from './issuance.record';

/** The `issuance` table, always through the caller's transaction. */
export const issuanceRepository = {
  /**
   * Claims `requestId` for this transaction, and in the same statement the inbox claim of the event
   * that asked for it. `fresh` false: the event was handled before, nothing claimed. `claimed` false:
   * the request was (a re-submission under a new event id). A concurrent claim of the same request
   * waits for this transaction and then gets false, so a request is issued once.
   */
  async claimOnce(m: EntityManager, inbox: { consumer: string; eventId: string }, row: { requestId: string; issuer: string; at: Date; outcome: IssuanceOutcome }): Promise<{ fresh: boolean; claimed: boolean }> {
    const [result] = await runStatement<{ fresh: boolean; claimed: boolean }>(
      m,
      `WITH fresh AS (${inboxClaimSql(1, 2)}),
            claimed AS (
              INSERT INTO issuance (request_id, issuer, state, thumbprint, outcome, created_at, updated_at)
              SELECT $3, $4, $5, NULL, $6::jsonb, $7, $7 WHERE EXISTS (SELECT 1 FROM fresh)
              ON CONFLICT (request_id) DO NOTHING RETURNING request_id)
       SELECT EXISTS (SELECT 1 FROM fresh) AS fresh, EXISTS (SELECT 1 FROM claimed) AS claimed`,
      [inbox.consumer, inbox.eventId, row.requestId, row.issuer, stateOf(row.outcome), JSON.stringify(row.outcome), row.at],
    );
    return result;
  },

  /** `record`, with the events that tell it put in the outbox by the same statement. */
  async recordAndPublish(m: EntityManager, requestId: string, outcome: IssuanceOutcome, thumbprint: string | null, at: Date, events: CloudEvent[]): Promise<void> {
    await runStatement(
      m,
      `WITH recorded AS (UPDATE issuance SET state = $2, outcome = $3::jsonb, thumbprint = $4, updated_at = $5 WHERE request_id = $1)
       ${outboxInsertSql(6)}`,
      [requestId, stateOf(outcome), JSON.stringify(outcome), thumbprint, at, outboxParameter(events)],
    );
  },

  /** Whether the event was handled, or the request issued for, before: a look before signing. */
  async seen(m: EntityManager, inbox: { consumer: string; eventId: string }, requestId: string): Promise<boolean> {
    const [row] = await runStatement<{ seen: boolean }>(
      m,
      `SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2) OR EXISTS (SELECT 1 FROM issuance WHERE request_id = $3) AS seen`,
      [inbox.consumer, inbox.eventId, requestId],
    );
    return row.seen;
  },

  /**
   * For a CA that answered at once: the inbox claim, the request's issuance row with the answer and
   * the events that tell it, in ONE statement (each part conditional on the one before), so no
   * transaction is held around the CA. `fresh`/`claimed` as in `claimOnce`; nothing is published
   * unless both.
   */
  async recordOnce(
    m: EntityManager,
    inbox: { consumer: string; eventId: string },
    row: { requestId: string; issuer: string; at: Date; outcome: IssuanceOutcome; thumbprint: string | null },
    events: CloudEvent[],
  ): Promise<{ fresh: boolean; claimed: boolean }> {
    const [result] = await runStatement<{ fresh: boolean; claimed: boolean }>(
      m,
      `WITH fresh AS (${inboxClaimSql(1, 2)}),
            claimed AS (
              INSERT INTO issuance (request_id, issuer, state, thumbprint, outcome, created_at, updated_at)
              SELECT $3, $4, $5, $6, $7::jsonb, $8, $8 WHERE EXISTS (SELECT 1 FROM fresh)
              ON CONFLICT (request_id) DO NOTHING RETURNING request_id),
            published AS (${outboxInsertSql(9, 'WHERE EXISTS (SELECT 1 FROM claimed)')})
       SELECT EXISTS (SELECT 1 FROM fresh) AS fresh, EXISTS (SELECT 1 FROM claimed) AS claimed`,
      [inbox.consumer, inbox.eventId, row.requestId, row.issuer, stateOf(row.outcome), row.thumbprint, JSON.stringify(row.outcome), row.at, outboxParameter(events)],
    );
    return result;
  },

  async find(m: EntityManager, requestId: string): Promise<IssuanceOrmEntity | null> {
    return m.getRepository(IssuanceOrmEntity).findOneBy({ requestId });
  },

  async record(m: EntityManager, requestId: string, outcome: IssuanceOutcome, thumbprint: string | null, at: Date): Promise<void> {
    await m.getRepository(IssuanceOrmEntity).update({ requestId }, { state: stateOf(outcome), outcome, thumbprint, updatedAt: at });
  },

  /** Hands a pending request to the order poller: it is due at once. */
  async scheduleDrive(m: EntityManager, requestId: string, csrPem: string, at: Date): Promise<void> {
    await m.getRepository(IssuanceOrmEntity).update({ requestId }, { csrPem, nextAttemptAt: at, pendingSince: at, attempts: 0 });
  },
};
