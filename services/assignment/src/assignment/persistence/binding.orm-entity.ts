import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Usage } from '@certflow/contracts';

/** The certificate a host's usage is bound to now. `host` is lower-case. */
@Entity({ name: 'binding' })
export class BindingRow {
  @PrimaryColumn({ type: 'text' })
  host: string;

  @PrimaryColumn({ type: 'text' })
  usage: Usage;

  @Column({ type: 'varchar', length: 40 })
  thumbprint: string;

  @Column({ name: 'request_id', type: 'text' })
  requestId: string;

  @Column({ name: 'assigned_at', type: 'timestamptz' })
  assignedAt: Date;
}
