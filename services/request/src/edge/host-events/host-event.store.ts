import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { normalizeHost, type CloudEvent } from '@certflow/contracts';
import { DATA_SOURCE, isUniqueViolation, runStatement } from '@certflow/persistence';
import { FactSignals } from '@certflow/messaging';

/** Wakes the long-polls of a host in this process when one of its events is stored (keyed by host). */
export const HOST_EVENT_SIGNALS = 'HOST_EVENT_SIGNALS';

/** One stored host event: its place in the host's feed and the CloudEvents envelope as published. */
export interface HostEventRow {
  position: number;
  envelope: CloudEvent;
}

/** Two appenders for one host computed the same next position: the loser takes the one after. */
const MAX_APPEND_ATTEMPTS = 5;

/**
 * The `host_event` table: every event a fleet host acts on, by host, any event type. Positions are
 * 1, 2, 3… per host and never skipped: a position is taken only after the previous one committed
 * (an appender that raced for it gets a unique violation and counts again), so a reader that has
 * seen position n has seen every event before it. A sequence would not promise that: a later
 * number can commit first, and a reader past it would miss the earlier one for good.
 */
@Injectable()
export class HostEventStore {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(HOST_EVENT_SIGNALS) private readonly signals: FactSignals,
  ) {}

  /** Stores `event` for `host` once per event id (a redelivery writes nothing); true when it was new. */
  async append(host: string, event: CloudEvent, at: Date): Promise<boolean> {
    const h = normalizeHost(host);
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await runStatement(
          this.ds.manager,
          `INSERT INTO host_event (host, position, event_id, type, time, envelope, recorded_at)
           SELECT $1, coalesce(max(position), 0) + 1, $2, $3, $4, $5, $6 FROM host_event WHERE host = $1
           ON CONFLICT (event_id) DO NOTHING RETURNING position`,
          [h, event.id, event.type, new Date(event.time), JSON.stringify(event), at],
        );
        if (rows.length) this.signals.changed(h);
        return rows.length > 0;
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= MAX_APPEND_ATTEMPTS) throw e;
      }
    }
  }

  /** The host's events after `position`, oldest first, at most `limit`. */
  async after(host: string, position: number, limit: number): Promise<HostEventRow[]> {
    const rows = await runStatement<{ position: string; envelope: CloudEvent }>(
      this.ds.manager,
      'SELECT position, envelope FROM host_event WHERE host = $1 AND position > $2 ORDER BY position LIMIT $3',
      [normalizeHost(host), position, limit],
    );
    return rows.map((r) => ({ position: Number(r.position), envelope: r.envelope }));
  }

  /** Resolves when an event of `host` is stored by this process, or after `ms`. */
  waitFor(host: string, ms: number): Promise<boolean> {
    return this.signals.wait(normalizeHost(host), ms);
  }
}
