import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A bound certificate whose chain a trust-store removal broke (certflow.certificate.untrusted.v1):
 * `untrusted` holds {since, thumbprint, missing, hosts}; null while nothing was reported. A marker
 * beside the state, not a state: the request stays ASSIGNED and its bindings stay unless released.
 */
export class Untrusted1700000008500 implements MigrationInterface {
  name = 'Untrusted1700000008500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate_request ADD COLUMN untrusted jsonb`);
    // The inventory's status=untrusted: few rows, read in notAfter order.
    await q.query(`CREATE INDEX certificate_request_untrusted ON certificate_request (not_after, id) WHERE untrusted IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX certificate_request_untrusted`);
    await q.query(`ALTER TABLE certificate_request DROP COLUMN untrusted`);
  }
}
