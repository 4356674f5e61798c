import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The assignment service's tables (search_path is set to assignment by the data source). */
export class AssignmentTables1700000003000 implements MigrationInterface {
  name = 'AssignmentTables1700000003000';

  async up(q: QueryRunner): Promise<void> {
    // Which certificates trust-validation declared chain-complete: nothing is bound without one.
    await q.query(`
      CREATE TABLE chain_complete (
        request_id text NOT NULL,
        thumbprint varchar(40) NOT NULL,
        seen_at timestamptz NOT NULL,
        PRIMARY KEY (request_id, thumbprint)
      )`);
    // What each host's usage is bound to now. Hosts are stored lower-case.
    await q.query(`
      CREATE TABLE binding (
        host text NOT NULL,
        usage text NOT NULL,
        thumbprint varchar(40) NOT NULL,
        request_id text NOT NULL,
        assigned_at timestamptz NOT NULL,
        PRIMARY KEY (host, usage)
      )`);
    await q.query(`
      CREATE TABLE binding_history (
        id bigserial PRIMARY KEY,
        host text NOT NULL,
        usage text NOT NULL,
        thumbprint varchar(40) NOT NULL,
        request_id text NOT NULL,
        assigned_at timestamptz NOT NULL,
        replaced_thumbprint varchar(40)
      )`);
    await q.query(`CREATE INDEX binding_history_host ON binding_history (host, id DESC)`);
    // One assignment per request: a repeated AssignmentRequested changes nothing.
    await q.query(`
      CREATE TABLE assignment (
        request_id text PRIMARY KEY,
        thumbprint varchar(40) NOT NULL,
        usages jsonb NOT NULL,
        not_bound jsonb NOT NULL DEFAULT '[]',
        assigned_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE assignment`);
    await q.query(`DROP TABLE binding_history`);
    await q.query(`DROP TABLE binding`);
    await q.query(`DROP TABLE chain_complete`);
  }
}
