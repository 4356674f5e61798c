import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The expiry watch: one row per bound request, carrying what has been sent and when the next event
 * falls due, so the watch's rounds read only rows due now (the partial index) and a restart or a
 * second instance neither loses nor repeats an event.
 */
export class CertificateWatch1700000003200 implements MigrationInterface {
  name = 'CertificateWatch1700000003200';

  async up(q: QueryRunner): Promise<void> {
    // `usages`: what the request is still bound to; `released_at`: set once a takeover left it none.
    // `last_warned_days`: the smallest expiring threshold already sent (null: none yet).
    await q.query(`
      CREATE TABLE certificate_watch (
        request_id text PRIMARY KEY,
        thumbprint varchar(40) NOT NULL,
        host text NOT NULL,
        usages jsonb NOT NULL,
        issuer text,
        rotation_policy text NOT NULL,
        renewal_of text,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        renew_at timestamptz NOT NULL,
        renewal_due_sent_at timestamptz,
        last_warned_days int,
        expired_sent_at timestamptz,
        next_due_at timestamptz,
        released_at timestamptz,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX certificate_watch_due ON certificate_watch (next_due_at) WHERE released_at IS NULL AND next_due_at IS NOT NULL`);
    // The expiring gauge counts bound rows by notAfter at every scrape.
    await q.query(`CREATE INDEX certificate_watch_bound_not_after ON certificate_watch (not_after) WHERE released_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE certificate_watch`);
  }
}
