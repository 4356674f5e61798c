import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocation (issue #19): the revocation asked for or done, as a document on the request, and the
 * CA certificate that issued the request's certificate (`issued_by`), so the inventory can list
 * every certificate of an issuing CA — the bulk revoke after a CA compromise. Backfilled from the
 * validated path (its second thumbprint) where there is one; the chain-only case fills in as
 * requests change.
 */
export class Revocation1700000008000 implements MigrationInterface {
  name = 'Revocation1700000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate_request ADD COLUMN revocation jsonb, ADD COLUMN issued_by text`);
    await q.query(`UPDATE certificate_request SET issued_by = upper(validation->'path'->>1)
      WHERE validation->>'status' = 'complete' AND validation->'path'->>1 IS NOT NULL`);
    await q.query(`CREATE INDEX certificate_request_issued_by_not_after ON certificate_request (issued_by, not_after) WHERE issued_by IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX certificate_request_issued_by_not_after`);
    await q.query(`ALTER TABLE certificate_request DROP COLUMN revocation, DROP COLUMN issued_by`);
  }
}
