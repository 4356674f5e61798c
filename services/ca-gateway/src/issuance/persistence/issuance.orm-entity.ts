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

  /** The CSR, kept for adapters that drive the request later (ACME finalizes with it). */
  @Column({ name: 'csr_pem', type: 'text', nullable: true })
  csrPem: string | null;

  /** The ACME order URL; stored before the order is finalized, so a restarted gateway resumes it. */
  @Column({ name: 'order_url', type: 'text', nullable: true })
  orderUrl: string | null;

  /** When the order poller looks at this pending request again; null: nothing to drive. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** Transient failures in a row (backoff). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'pending_since', type: 'timestamptz', nullable: true })
  pendingSince: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
