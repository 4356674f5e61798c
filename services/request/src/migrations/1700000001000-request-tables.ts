import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The request service's own tables, in its schema (search_path is set by the data source). */
export class RequestTables1700000001000 implements MigrationInterface {
  name = 'RequestTables1700000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE certificate_request (
        id uuid PRIMARY KEY,
        host text NOT NULL,
        state text NOT NULL,
        usages jsonb NOT NULL,
        auto_assign boolean NOT NULL,
        issuer text NOT NULL,
        friendly_name text,
        csr text NOT NULL,
        thumbprint text,
        certificate text,
        chain jsonb,
        was_incomplete boolean NOT NULL DEFAULT false,
        validation jsonb,
        assignment jsonb,
        assignment_requested_at timestamptz,
        failure jsonb,
        pending_detail text,
        idempotency_key text,
        body_hash text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX certificate_request_idempotency_key ON certificate_request (idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX certificate_request_list ON certificate_request (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX certificate_request_state ON certificate_request (state, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX certificate_request_host ON certificate_request (lower(host), created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX certificate_request_thumbprint ON certificate_request (thumbprint) WHERE thumbprint IS NOT NULL`);
    await q.query(`
      CREATE TABLE request_history (
        seq bigserial PRIMARY KEY,
        request_id uuid NOT NULL,
        state text NOT NULL,
        at timestamptz NOT NULL,
        reason text
      )`);
    await q.query(`CREATE INDEX request_history_request ON request_history (request_id, seq)`);
    await q.query(`
      CREATE TABLE seen_certificate (
        thumbprint text PRIMARY KEY,
        thumbprint_sha256 text NOT NULL UNIQUE,
        pem text NOT NULL,
        first_seen timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE seen_certificate');
    await q.query('DROP TABLE request_history');
    await q.query('DROP TABLE certificate_request');
  }
}
