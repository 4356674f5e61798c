import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Usage } from '@certflow/contracts';

/** Every binding ever made, with the certificate it replaced. Append-only. */
@Entity({ name: 'binding_history' })
export class BindingHistoryRow {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  host: string;

  @Column({ type: 'text' })
  usage: Usage;

  @Column({ type: 'varchar', length: 40 })
  thumbprint: string;

  @Column({ name: 'request_id', type: 'text' })
  requestId: string;

  @Column({ name: 'assigned_at', type: 'timestamptz' })
  assignedAt: Date;

  @Column({ name: 'replaced_thumbprint', type: 'varchar', length: 40, nullable: true })
  replacedThumbprint: string | null;

  /** When the binding was released without a replacement (a revocation), and why. */
  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt: Date | null;

  @Column({ name: 'release_reason', type: 'text', nullable: true })
  releaseReason: string | null;
}
