import { defineTable } from '@certflow/messaging';

/** A kept dead letter as it is written (`seq`, the arrival order, is the table's own sequence). */
export interface DeadLetterRecord {
  id: string;
  consumer: string;
  originalSubject: string;
  originalId: string | null;
  deliveries: number;
  error: string;
  requestId: string | null;
  at: Date;
  payload: string;
}

export const DEAD_LETTERS = defineTable<DeadLetterRecord>(
  'dead_letter',
  {
    id: { name: 'id', type: 'uuid' },
    consumer: { name: 'consumer', type: 'text' },
    originalSubject: { name: 'original_subject', type: 'text' },
    originalId: { name: 'original_id', type: 'text' },
    deliveries: { name: 'deliveries', type: 'int' },
    error: { name: 'error', type: 'text' },
    requestId: { name: 'request_id', type: 'uuid' },
    at: { name: 'at', type: 'timestamptz' },
    payload: { name: 'payload', type: 'text' },
  },
  ['id'],
);
