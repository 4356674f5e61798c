import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A certificate trust-validation declared chain-complete for a request: the licence to bind it. */
@Entity({ name: 'chain_complete' })
export class ChainCompleteRow {
  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId: string;

  @PrimaryColumn({ type: 'varchar', length: 40 })
  thumbprint: string;

  @Column({ name: 'seen_at', type: 'timestamptz' })
  seenAt: Date;
}
