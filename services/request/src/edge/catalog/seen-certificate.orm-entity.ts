import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every certificate the request service has seen returned by a CA (leaf and chain), for details look-ups.
 * Inserted through the column map (catalog.tables.ts) with `first_seen`, which nothing reads back, so the entity leaves it out.
 */
@Entity('seen_certificate')
export class SeenCertificateRow {
  @PrimaryColumn('text') thumbprint: string;
  @Column('text', { name: 'thumbprint_sha256', unique: true }) thumbprintSha256: string;
  @Column('text') pem: string;
}
