import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Creates `outbox` and `inbox` in the service's schema. Plain SQL without a schema prefix: it runs
 * with `search_path` set to the service's schema (see `openServiceDataSource`). Add it to the
 * service's `migrations` next to its own.
 *
 * `inbox` holds one row per event a consumer handled (consumer, event id), written in the handler's
 * transaction (inbox.guard.ts), so a redelivered or duplicate event finds its row and is skipped. Rows
 * are kept: a consumer replayed from the start of the stream must still skip them.
 */
export class CreateMessagingTables1700000000000 implements MigrationInterface {
  name = 'CreateMessagingTables1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        seq          bigserial   PRIMARY KEY,
        id           text        NOT NULL,
        subject      text        NOT NULL,
        payload      jsonb       NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz NULL,
        CONSTRAINT outbox_id_key UNIQUE (id)
      )`);
    // The relay's query reads only unpublished rows, in order: keep that index small.
    await q.query('CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL');
    // The hourly clean-up deletes published rows by age.
    await q.query('CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL');
    await q.query(`
      CREATE TABLE inbox (
        consumer    text        NOT NULL,
        event_id    text        NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE inbox');
    await q.query('DROP TABLE outbox');
  }
}

