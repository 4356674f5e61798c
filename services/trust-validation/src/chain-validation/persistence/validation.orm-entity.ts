import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MissingIssuer } from '@certflow/contracts';

export type ValidationStatus = 'complete' | 'incomplete' | 'invalid';

/** The latest validation of a request's certificate. Replaced on re-validation. */
@Entity({ name: 'validation' })
export class ValidationRow {
  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId: string;

  /** SHA-1 of the leaf, upper-case hex. */
  @Column({ type: 'varchar', length: 40 })
  thumbprint: string;

  /** The leaf, PEM. */
  @Column({ type: 'text' })
  certificate: string;

  /** The other certificates as the CA returned them, PEM. */
  @Column({ type: 'jsonb' })
  chain: string[];

  @Column({ type: 'text' })
  status: ValidationStatus;

  /** SHA-1 thumbprints leaf → root, when complete. */
  @Column({ type: 'jsonb', nullable: true })
  path: string[] | null;

  @Column({ type: 'jsonb', nullable: true })
  missing: MissingIssuer[] | null;

  @Column({ type: 'jsonb' })
  reasons: string[];

  /**
   * Keys of the issuers this validation waits for ('aki:<AKI>', 'dn:<subject>'), so an import
   * re-validates only the requests that named it.
   */
  @Column({ name: 'waiting_on', type: 'text', array: true })
  waitingOn: string[];

  @Column({ name: 'validated_at', type: 'timestamptz' })
  validatedAt: Date;
}
