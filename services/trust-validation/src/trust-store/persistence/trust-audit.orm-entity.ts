import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { TrustStoreName } from '@certflow/contracts';

/** Who imported or removed which trust anchor, and when. Append-only. */
@Entity({ name: 'trust_audit' })
export class TrustAuditRow {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text' })
  action: 'imported' | 'removed';

  @Column({ type: 'text' })
  store: TrustStoreName;

  @Column({ type: 'varchar', length: 40 })
  thumbprint: string;

  @Column({ type: 'text' })
  subject: string;
}
