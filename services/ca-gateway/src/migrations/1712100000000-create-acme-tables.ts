import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ACME issuers: what the order poller needs on each issuance row (the CSR, the order URL, when to
 * look again), the ACME account per issuer (key encrypted with CERTFLOW_CA_KEY) and the HTTP-01
 * answers any gateway instance serves.
 */
export class CreateAcmeTables1712100000000 implements MigrationInterface {
  name = 'CreateAcmeTables1712100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE issuance
        ADD COLUMN csr_pem         text,
        ADD COLUMN order_url       text,
        ADD COLUMN next_attempt_at timestamptz,
        ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
        ADD COLUMN pending_since   timestamptz,
        ADD COLUMN last_error      text`);
    await q.query(`CREATE INDEX issuance_due_idx ON issuance (next_attempt_at) WHERE state = 'pending' AND next_attempt_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE acme_account (
        issuer        text PRIMARY KEY,
        directory_url text NOT NULL,
        account_key   text NOT NULL,
        account_url   text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE acme_http_challenge (
        token             text PRIMARY KEY,
        key_authorization text NOT NULL,
        request_id        text NOT NULL,
        created_at        timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE acme_http_challenge');
    await q.query('DROP TABLE acme_account');
    await q.query('DROP INDEX issuance_due_idx');
    await q.query('ALTER TABLE issuance DROP COLUMN csr_pem, DROP COLUMN order_url, DROP COLUMN next_attempt_at, DROP COLUMN attempts, DROP COLUMN pending_since, DROP COLUMN last_error');
  }
}
