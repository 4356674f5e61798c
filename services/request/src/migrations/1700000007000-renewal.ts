import type { MigrationInterface, QueryRunner } from 'typeorm';
import { parseCertificate } from '@certflow/pki';

/**
 * Renewal and the inventory (issue #18): a request's renewal terms, its certificate's validity (read
 * out of the certificate, backfilled here for the requests that have one), when its renewal is due,
 * and what superseded it. At most one open renewal per request, whatever the number of instances:
 * the partial unique index on renewal_of (a FAILED or SUPERSEDED renewal is not open).
 */
export class Renewal1700000007000 implements MigrationInterface {
  name = 'Renewal1700000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate_request
      ADD COLUMN renewal_of uuid,
      ADD COLUMN renew_before text,
      ADD COLUMN rotation_policy text NOT NULL DEFAULT 'Always',
      ADD COLUMN not_before timestamptz,
      ADD COLUMN not_after timestamptz,
      ADD COLUMN renewal_due_at timestamptz,
      ADD COLUMN superseded_by uuid`);
    await q.query(`CREATE UNIQUE INDEX certificate_request_open_renewal ON certificate_request (renewal_of) WHERE renewal_of IS NOT NULL AND state NOT IN ('FAILED', 'SUPERSEDED')`);
    await q.query(`CREATE INDEX certificate_request_failed_renewal ON certificate_request (renewal_of) WHERE renewal_of IS NOT NULL AND state = 'FAILED'`);
    await q.query(`CREATE INDEX certificate_request_not_after ON certificate_request (not_after, id) WHERE not_after IS NOT NULL`);
    await q.query(`CREATE INDEX certificate_request_host_not_after ON certificate_request (host, not_after) WHERE not_after IS NOT NULL`);
    await q.query(`CREATE INDEX certificate_request_issuer_not_after ON certificate_request (issuer, not_after) WHERE not_after IS NOT NULL`);
    // The overdue gauge: the oldest ASSIGNED request whose renewal fell due.
    await q.query(`CREATE INDEX certificate_request_renewal_due ON certificate_request (renewal_due_at) WHERE state = 'ASSIGNED' AND renewal_due_at IS NOT NULL`);
    await q.query(`CREATE TABLE renewal_retry (
      renewal_of uuid PRIMARY KEY,
      attempts integer NOT NULL,
      next_attempt_at timestamptz NOT NULL,
      last_error text
    )`);
    await q.query(`CREATE INDEX renewal_retry_next ON renewal_retry (next_attempt_at)`);
    await backfillValidity(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE renewal_retry`);
    await q.query(`DROP INDEX certificate_request_open_renewal, certificate_request_renewal_due, certificate_request_failed_renewal, certificate_request_not_after, certificate_request_host_not_after, certificate_request_issuer_not_after`);
    await q.query(`ALTER TABLE certificate_request
      DROP COLUMN renewal_of, DROP COLUMN renew_before, DROP COLUMN rotation_policy, DROP COLUMN not_before,
      DROP COLUMN not_after, DROP COLUMN renewal_due_at, DROP COLUMN superseded_by`);
  }
}

/** The validity of every recorded certificate, in pages (PostgreSQL cannot read X.509 itself). */
async function backfillValidity(q: QueryRunner): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: { id: string; certificate: string }[] = await q.query(
      `SELECT id, certificate FROM certificate_request WHERE certificate IS NOT NULL AND id > $1 ORDER BY id LIMIT 500`,
      [after],
    );
    if (rows.length === 0) return;
    for (const r of rows) {
      try {
        const c = parseCertificate(r.certificate);
        await q.query(`UPDATE certificate_request SET not_before = $2, not_after = $3 WHERE id = $1`, [r.id, c.notBefore, c.notAfter]);
      } catch {
        // A certificate that does not parse stays out of the inventory, as it would have been refused at issuance.
      }
    }
    after = rows[rows.length - 1].id;
  }
}
