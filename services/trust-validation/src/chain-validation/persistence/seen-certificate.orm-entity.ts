import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A certificate met in a validation (leaf or chain), kept so it can be looked up by thumbprint.
 * Inserted by SQL with `first_seen_at`, which nothing reads back, so the entity leaves it out.
 */
@Entity({ name: 'seen_certificate' })
export class SeenCertificateRow {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  thumbprint: string;

  @Column({ name: 'thumbprint_sha256', type: 'varchar', length: 64, unique: true })
  thumbprintSha256: string;

  @Column({ type: 'text' })
  pem: string;
}
