import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CloudEvent } from '@certflow/contracts';

/**
 * An event a service decided to publish, written in the same transaction as the state change that
 * caused it (table `outbox`, in the service's own schema). `OutboxRelay` publishes the rows (right
 * after the commit, or in `seq` order by its rounds) and stamps `publishedAt`; published rows are
 * deleted after an hour.
 */
@Entity('outbox')
export class OutboxMessage {
  /** Insertion order (bigserial). A string: JavaScript numbers cannot hold every bigint. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq: string;

  /** The event's id, also its `Nats-Msg-Id`: unique, so enqueuing the same event twice stores it once. */
  @Column('text')
  id: string;

  /** NATS subject, equal to the envelope's `type`. */
  @Column('text')
  subject: string;

  /** The whole CloudEvents envelope, published as is. */
  @Column('jsonb')
  payload: CloudEvent;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** When JetStream acknowledged the event; null while it waits for the relay. */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;
}
