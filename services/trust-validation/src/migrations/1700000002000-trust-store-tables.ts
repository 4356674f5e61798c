import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The trust stores and their audit trail (search_path is set to trust_validation by the data source). */
export class TrustStoreTables1700000002000 implements MigrationInterface {
  name = 'TrustStoreTables1700000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trusted_certificate (
        thumbprint varchar(40) PRIMARY KEY,
        thumbprint_sha256 varchar(64) NOT NULL UNIQUE,
        store text NOT NULL CHECK (store IN ('roots', 'intermediates')),
        subject text NOT NULL,
        subject_key_id text,
        pem text NOT NULL,
        added_at timestamptz NOT NULL,
        added_by text NOT NULL
      )`);
    await q.query(`CREATE INDEX trusted_certificate_store ON trusted_certificate (store, subject)`);
    await q.query(`
      CREATE TABLE trust_audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL CHECK (action IN ('imported', 'removed')),
        store text NOT NULL,
        thumbprint varchar(40) NOT NULL,
        subject text NOT NULL
      )`);
    await q.query(`CREATE INDEX trust_audit_at ON trust_audit (at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE trust_audit`);
    await q.query(`DROP TABLE trusted_certificate`);
  }
}
