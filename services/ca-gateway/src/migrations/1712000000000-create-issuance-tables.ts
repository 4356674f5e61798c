import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The internal CA's stored material and the per-request issuance record (runs in schema ca_gateway). */
export class CreateIssuanceTables1712000000000 implements MigrationInterface {
  name = 'CreateIssuanceTables1712000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ca_material (
        issuer           text PRIMARY KEY,
        root_pem         text NOT NULL,
        root_key         text NOT NULL,
        intermediate_pem text NOT NULL,
        intermediate_key text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE issuance (
        request_id  text PRIMARY KEY,
        issuer      text NOT NULL,
        state       text NOT NULL CHECK (state IN ('issued', 'pending', 'refused', 'failed')),
        thumbprint  text,
        outcome     jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX issuance_thumbprint_idx ON issuance (thumbprint) WHERE thumbprint IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE issuance');
    await q.query('DROP TABLE ca_material');
  }
}
