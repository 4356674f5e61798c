import type { CloudEvent } from '@certflow/contracts';
import { defineTable } from '@certflow/messaging';

/** One row of a host's feed as it is written; `host` is lower-case. */
export interface HostEventRecord {
  host: string;
  position: number;
  eventId: string;
  type: string;
  time: Date;
  envelope: CloudEvent;
  recordedAt: Date;
}

export const HOST_EVENTS = defineTable<HostEventRecord>(
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
