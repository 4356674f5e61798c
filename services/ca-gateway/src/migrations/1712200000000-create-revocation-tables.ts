import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocation at the internal CA: the serials it issued (so OCSP can tell "never issued" from
 * "good"), the revocations of every issuer type, each internal issuer's current CRL (DER as base64; its number only
 * goes up: it is taken under this row's lock) and the gateway settings that must not drift
 * silently (the public URL baked into leaves).
 */
export class CreateRevocationTables1712200000000 implements MigrationInterface {
  name = 'CreateRevocationTables1712200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE issued_serial (
        issuer     text NOT NULL,
        serial     text NOT NULL,
        thumbprint text NOT NULL,
        request_id text NOT NULL,
        not_after  timestamptz NOT NULL,
        PRIMARY KEY (issuer, serial)
      )`);
    await q.query(`
      CREATE TABLE revocation (
        issuer     text NOT NULL,
        serial     text NOT NULL,
        thumbprint text NOT NULL,
        request_id text NOT NULL,
        reason     text NOT NULL,
        revoked_at timestamptz NOT NULL,
        at_ca      text NOT NULL,
        PRIMARY KEY (issuer, serial)
      )`);
    await q.query('CREATE UNIQUE INDEX revocation_thumbprint_idx ON revocation (thumbprint)');
    await q.query(`
      CREATE TABLE crl (
        issuer      text PRIMARY KEY,
        crl_number  bigint NOT NULL,
        this_update timestamptz NOT NULL,
        next_update timestamptz NOT NULL,
        der         text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE gateway_setting (
        name       text PRIMARY KEY,
        value      text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gateway_setting');
    await q.query('DROP TABLE crl');
    await q.query('DROP TABLE revocation');
    await q.query('DROP TABLE issued_serial');
  }
}
