import type { EntityManager } from 'typeorm';
import { IssuanceOrmEntity } from './issuance.orm-entity';
import { type IssuanceOutcome, stateOf } from './issuance.record';

/** The `issuance` table, always through the caller's transaction. */
export const issuanceRepository = {
  /**
   * Claims `requestId` for this transaction: true when the row is new. A concurrent claim of the
   * same request waits for this transaction and then gets false, so a request is issued once.
   */
  async claim(m: EntityManager, row: { requestId: string; issuer: string; at: Date; outcome: IssuanceOutcome }): Promise<boolean> {
    const result = await m
      .createQueryBuilder()
      .insert()
      .into(IssuanceOrmEntity)
      .values({
        requestId: row.requestId,
        issuer: row.issuer,
        state: stateOf(row.outcome),
        thumbprint: null,
        outcome: row.outcome,
        createdAt: row.at,
        updatedAt: row.at,
      })
      .orIgnore()
      // The string form: TypeORM 1.1 reads an array as property names and silently drops unknown ones.
      .returning('request_id')
      .execute();
    return Array.isArray(result.raw) && result.raw.length > 0;
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
