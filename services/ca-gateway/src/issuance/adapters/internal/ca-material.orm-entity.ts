import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Row of `ca_material`: one internal CA per issuer name. Keys are AES-256-GCM blobs, never PEM. */
@Entity({ name: 'ca_material' })
export class CaMaterialOrmEntity {
  @PrimaryColumn({ type: 'text' })
  issuer: string;

  @Column({ name: 'root_pem', type: 'text' })
  rootPem: string;

  @Column({ name: 'root_key', type: 'text' })
  rootKey: string;

  @Column({ name: 'intermediate_pem', type: 'text' })
  intermediatePem: string;

  @Column({ name: 'intermediate_key', type: 'text' })
  intermediateKey: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
