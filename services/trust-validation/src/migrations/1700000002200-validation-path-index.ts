import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A trust-store removal re-validates the chain-complete requests whose path went through the removed
 * certificate (`path @> '["<thumbprint>"]'`); without an index that is a scan of every validation.
 */
export class ValidationPathIndex1700000002200 implements MigrationInterface {
  name = 'ValidationPathIndex1700000002200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX validation_path ON validation USING GIN (path jsonb_path_ops) WHERE status = 'complete'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX validation_path`);
  }
}
