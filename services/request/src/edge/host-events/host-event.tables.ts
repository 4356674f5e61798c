// The host feed's table as it is written (see @certflow/messaging's defineTable).
import { defineTable } from '@certflow/messaging';
import type { CloudEvent } from '@certflow/contracts';

export interface HostEventColumns {
  host: string;
  position: number;
  eventId: string;
  type: string;
  time: Date;
  envelope: CloudEvent;
  recordedAt: Date;
}

export const HOST_EVENT = defineTable<HostEventColumns>(
  'host_event',
  {
    host: { name: 'host', type: 'text' },
    position: { name: 'position', type: 'bigint' },
    eventId: { name: 'event_id', type: 'text' },
    type: { name: 'type', type: 'text' },
    time: { name: 'time', type: 'timestamptz' },
    envelope: { name: 'envelope', type: 'jsonb' },
    recordedAt: { name: 'recorded_at', type: 'timestamptz' },
  },
  ['host', 'position'],
);
