import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Dead letters from every service, as the request service received them, for GET /api/v1/dead-letters. */
export class DeadLetters1700000004000 implements MigrationInterface {
  name = 'DeadLetters1700000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dead_letter (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        consumer text NOT NULL,
        original_subject text NOT NULL,
        original_id text,
        deliveries int NOT NULL,
        error text NOT NULL,
        request_id uuid,
        at timestamptz NOT NULL,
        payload text NOT NULL
      )`);
    await q.query(`CREATE INDEX dead_letter_consumer ON dead_letter (consumer, seq DESC)`);
    await q.query(`CREATE INDEX dead_letter_request ON dead_letter (request_id) WHERE request_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE dead_letter');
  }
}
