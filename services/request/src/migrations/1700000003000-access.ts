import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API tokens (only a digest of each secret) and the append-only audit log. */
export class Access1700000003000 implements MigrationInterface {
  name = 'Access1700000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_token (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'trust-admin', 'requester', 'viewer')),
        host_patterns jsonb NOT NULL DEFAULT '[]',
        secret_sha256 bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        revoked_at timestamptz,
        revoked_by text,
        last_used_at timestamptz
      )`);
    // A name names one live token: it is the actor recorded in the audit log.
    await q.query(`CREATE UNIQUE INDEX api_token_live_name ON api_token (lower(name)) WHERE revoked_at IS NULL`);
    await q.query(`CREATE INDEX api_token_list ON api_token (created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE audit_entry (
        seq bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        kind text NOT NULL,
        actor text NOT NULL,
        subject text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        event_id text UNIQUE
      )`);
    await q.query(`CREATE INDEX audit_entry_kind ON audit_entry (kind, seq DESC)`);
    await q.query(`CREATE INDEX audit_entry_actor ON audit_entry (actor, seq DESC)`);
    // Append-only in the database itself, not only by convention in the code.
    await q.query(`
      CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_entry is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
      FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_entry');
    await q.query('DROP FUNCTION audit_entry_append_only()');
    await q.query('DROP TABLE api_token');
  }
}
