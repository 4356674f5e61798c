import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Validation results per request, and every certificate seen in one (for look-up by thumbprint). */
export class ValidationTables1700000002100 implements MigrationInterface {
  name = 'ValidationTables1700000002100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE validation (
        request_id text PRIMARY KEY,
        thumbprint varchar(40) NOT NULL,
        certificate text NOT NULL,
        chain jsonb NOT NULL DEFAULT '[]',
        status text NOT NULL CHECK (status IN ('complete', 'incomplete', 'invalid')),
        path jsonb,
        missing jsonb,
        reasons jsonb NOT NULL DEFAULT '[]',
        waiting_on text[] NOT NULL DEFAULT '{}',
        validated_at timestamptz NOT NULL
      )`);
    // An import re-validates only the requests that named the imported issuer.
    await q.query(`CREATE INDEX validation_waiting_on ON validation USING GIN (waiting_on)`);
    await q.query(`CREATE INDEX validation_thumbprint ON validation (thumbprint)`);
    await q.query(`
      CREATE TABLE seen_certificate (
        thumbprint varchar(40) PRIMARY KEY,
        thumbprint_sha256 varchar(64) NOT NULL UNIQUE,
        pem text NOT NULL,
        first_seen_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE seen_certificate`);
    await q.query(`DROP TABLE validation`);
  }
}
