import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A message some consumer gave up on (`certflow.deadletter.v1`), kept for operators to read. */
@Entity('dead_letter')
export class DeadLetterRow {
  /** Arrival order; the API pages on it, newest first. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) seq: string;
  /** The dead letter's event id: stable per (consumer, stream sequence), so a republish is one row. */
  @Column('uuid', { unique: true }) id: string;
  @Column('text') consumer: string;
  @Column('text', { name: 'original_subject' }) originalSubject: string;
  @Column('text', { name: 'original_id', nullable: true }) originalId: string | null;
  @Column('int') deliveries: number;
  @Column('text') error: string;
  @Column('uuid', { name: 'request_id', nullable: true }) requestId: string | null;
  @Column('timestamptz') at: Date;
  @Column('text') payload: string;
}
