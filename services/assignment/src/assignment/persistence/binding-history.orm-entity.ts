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
}
