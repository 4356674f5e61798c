import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocation (issue #19): a binding's history row says when and why it was released (`revoked`),
 * beside the row of the binding that replaced it, which already names what it replaced; and the
 * certificates revoked, so that none is bound after its revocation.
 */
export class BindingRelease1700000003300 implements MigrationInterface {
  name = 'BindingRelease1700000003300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE binding_history ADD COLUMN released_at timestamptz, ADD COLUMN release_reason text`);
    await q.query(`CREATE INDEX binding_history_thumbprint ON binding_history (thumbprint) WHERE released_at IS NULL`);
    // Certificates revoked: never bound again, whatever arrives after the revocation (an auto-assign in flight).
    await q.query(`CREATE TABLE revoked_certificate (thumbprint varchar(40) PRIMARY KEY, request_id text NOT NULL, revoked_at timestamptz NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE revoked_certificate`);
    await q.query(`DROP INDEX binding_history_thumbprint`);
    await q.query(`ALTER TABLE binding_history DROP COLUMN released_at, DROP COLUMN release_reason`);
  }
}
