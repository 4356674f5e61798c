import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TrustStoreName } from '@certflow/contracts';

/** A certificate in one of the trust stores. Owned by trust-validation; nobody else reads this table. */
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

  /** Upper-case hex; matched against a missing issuer's authority key identifier. */
  @Column({ name: 'subject_key_id', type: 'text', nullable: true })
  subjectKeyId: string | null;

  @Column({ type: 'text' })
  pem: string;

  @Column({ name: 'added_at', type: 'timestamptz' })
  addedAt: Date;

  @Column({ name: 'added_by', type: 'text' })
  addedBy: string;
}
