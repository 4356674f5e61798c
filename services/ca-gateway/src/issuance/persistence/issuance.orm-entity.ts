import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { IssuanceOutcome, IssuanceState } from './issuance.record';

/** Row of `issuance`: what the gateway did with one request. Its key makes issuing at most once. */
@Entity({ name: 'issuance' })
export class IssuanceOrmEntity {
  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId: string;

  @Column({ type: 'text' })
  issuer: string;

  @Column({ type: 'text' })
  state: IssuanceState;

  /** SHA-1 of the issued certificate; null until issued. */
  @Column({ type: 'text', nullable: true })
  thumbprint: string | null;

  @Column({ type: 'jsonb' })
  outcome: IssuanceOutcome;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
