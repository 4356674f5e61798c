import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One event a consumer has handled (table `inbox`, in the service's own schema). Written in the
 * handler's transaction by `handleOnce`, so a redelivered or duplicate event finds its row and is
 * skipped. Rows are kept: a consumer replayed from the start of the stream must still skip them.
 */
@Entity('inbox')
export class InboxMessage {
  /** Who handled it, usually the durable consumer's name (`JetStreamContext.consumer`). */
  @PrimaryColumn({ type: 'text' })
  consumer: string;

  /** The CloudEvents `id` of the handled event. */
  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;
}
