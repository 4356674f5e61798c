import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Usage, UsageRefusal } from '@certflow/contracts';

/**
 * The one assignment of a request (its idempotency record): what was bound, and what was not and why.
 * `usages` is empty when no usage fitted and the request failed.
 */
@Entity({ name: 'assignment' })
export class AssignmentRow {
  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId: string;

  @Column({ type: 'varchar', length: 40 })
  thumbprint: string;

  @Column({ type: 'jsonb' })
  usages: Usage[];

  @Column({ name: 'not_bound', type: 'jsonb' })
  notBound: UsageRefusal[];

  @Column({ name: 'assigned_at', type: 'timestamptz' })
  assignedAt: Date;
}
