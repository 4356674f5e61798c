import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Assignments asked for before their chain.complete: the request waits here as data instead of as a
 * redelivered message, and chain.complete binds it when it comes (either order, no wait loop).
 */
export class AssignmentWanted1700000003100 implements MigrationInterface {
  name = 'AssignmentWanted1700000003100';

  async up(q: QueryRunner): Promise<void> {
    // `request` is the AssignmentRequested data as it came; `bound_at` is set when chain.complete bound it.
    await q.query(`
      CREATE TABLE assignment_wanted (
        request_id text PRIMARY KEY,
        thumbprint varchar(40) NOT NULL,
        request jsonb NOT NULL,
        requested_at timestamptz NOT NULL,
        bound_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE assignment_wanted`);
  }
}
