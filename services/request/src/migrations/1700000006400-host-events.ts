import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `agent` token role, and `host_event`: each host's events, numbered 1, 2, 3… per host with no
 * gap, read by fleet agents through GET /api/v1/hosts/{host}/events.
 */
export class HostEvents1700000006400 implements MigrationInterface {
  name = 'HostEvents1700000006400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_token DROP CONSTRAINT IF EXISTS api_token_role_check`);
    await q.query(`ALTER TABLE api_token ADD CONSTRAINT api_token_role_check CHECK (role IN ('admin', 'trust-admin', 'requester', 'viewer', 'agent'))`);
    // (host, position) is the key and the reading order; event_id makes a redelivery write nothing.
    await q.query(`
      CREATE TABLE host_event (
        host text NOT NULL,
        position bigint NOT NULL,
        event_id text NOT NULL UNIQUE,
        type text NOT NULL,
        time timestamptz NOT NULL,
        envelope jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (host, position)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE host_event');
    await q.query(`DELETE FROM api_token WHERE role = 'agent'`);
    await q.query(`ALTER TABLE api_token DROP CONSTRAINT IF EXISTS api_token_role_check`);
    await q.query(`ALTER TABLE api_token ADD CONSTRAINT api_token_role_check CHECK (role IN ('admin', 'trust-admin', 'requester', 'viewer'))`);
  }
}
