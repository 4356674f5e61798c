import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version per request, bumped by every change: facts from other services apply optimistically
 * (read, decide, write where the version is still the one read) instead of holding a row lock
 * across round trips.
 */
export class RequestVersion1700000005000 implements MigrationInterface {
  name = 'RequestVersion1700000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate_request ADD COLUMN version integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate_request DROP COLUMN version`);
  }
}
