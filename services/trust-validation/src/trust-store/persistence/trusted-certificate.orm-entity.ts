import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TrustStoreName } from '@certflow/contracts';

/**
 * A certificate in one of the trust stores. Owned by trust-validation; nobody else reads this table.
 * Rows are inserted by SQL (trust-store.service.ts); the columns nothing reads back (`subject_key_id`,
 * `added_at`, `added_by`, see the migration) are left out of the entity.
 */
@Entity({ name: 'trusted_certificate' })
export class TrustedCertificateRow {
  /** SHA-1 of the DER, upper-case hex. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  thumbprint: string;

  @Column({ name: 'thumbprint_sha256', type: 'varchar', length: 64, unique: true })
  thumbprintSha256: string;

  @Column({ type: 'text' })
  store: TrustStoreName;

  @Column({ type: 'text' })
  subject: string;

  @Column({ type: 'text' })
  pem: string;
}
