import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { normalizeHost, type CloudEvent } from '@certflow/contracts';
import { DATA_SOURCE, runStatement } from '@certflow/persistence';
import { insertRow, planWrites, type FactTx, type Write } from '@certflow/messaging';
import { HostFeedSignals } from './host-feed.signals';
import { HOST_EVENT } from './host-event.tables';

/** Wakes the long-polls of a host in this process when one of its events is stored (keyed by host). */
export const HOST_EVENT_SIGNALS = 'HOST_EVENT_SIGNALS';

/** One stored host event: its place in the host's feed and the CloudEvents envelope as published. */
export interface HostEventRow {
  position: number;
  envelope: CloudEvent;
}

/** The host feed's advisory lock class: with the host's hash, one appender per host at a time. */
const LOCK_CLASS = 'host_event';

/** Where a batch's host events go: the writes, and for each event whether it is new. */
export interface HostEventAppend {
  writes: Write[];
  stored: boolean[];
}

/**
 * The `host_event` table: every event a fleet host acts on, by host, any event type. Positions are
 * 1, 2, 3… per host and never skipped: an appender takes the host's lock (in the transaction) and
 * numbers after the last position committed, so a reader that has seen position n has seen every
 * event before it. A sequence would not promise that: a later number can commit first, and a
 * reader past it would miss the earlier one for good.
 */
@Injectable()
export class HostEventStore {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(HOST_EVENT_SIGNALS) private readonly signals: HostFeedSignals,
  ) {}

  /**
   * The writes that append `items` to their hosts' feeds, in order, each event id once (one stored
   * before, or twice in `items`, is not new). Locks the hosts (sorted, so two batches cannot
   * deadlock) through `query`, for the rest of its transaction.
   */
  async appendWrites(query: FactTx['query'], items: readonly { host: string; event: CloudEvent }[], at: Date): Promise<HostEventAppend> {
    const hosts = [...new Set(items.map((i) => normalizeHost(i.host)))].sort();
    for (const h of hosts) await query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [LOCK_CLASS, h]);
    const last = new Map(
      (await query<{ host: string; position: string }>('SELECT host, max(position) AS position FROM host_event WHERE host = ANY ($1) GROUP BY host', [hosts])).map((r) => [r.host, Number(r.position)]),
    );
    const seen = new Set((await query<{ event_id: string }>('SELECT event_id FROM host_event WHERE event_id = ANY ($1)', [items.map((i) => i.event.id)])).map((r) => r.event_id));
    const writes: Write[] = [];
    const stored = items.map(({ host, event }) => {
      if (seen.has(event.id)) return false;
      seen.add(event.id);
      const h = normalizeHost(host);
      const position = (last.get(h) ?? 0) + 1;
      last.set(h, position);
      writes.push(insertRow(HOST_EVENT, { host: h, position, eventId: event.id, type: event.type, time: new Date(event.time), envelope: event, recordedAt: at }));
      return true;
    });
    return { writes, stored };
  }

  /** Wakes this process's long-polls of `hosts`, once what was appended for them committed. */
  appended(hosts: readonly string[]): void {
    for (const h of new Set(hosts.map(normalizeHost))) this.signals.changed(h);
  }

  /** Stores `event` for `host` once per event id (a redelivery writes nothing), in a transaction of its own; true when it was new. */
  async append(host: string, event: CloudEvent, at: Date): Promise<boolean> {
    const { stored } = await this.ds.transaction(async (m) => {
      const query = <T>(text: string, values: unknown[]) => runStatement<T>(m, text, values) as Promise<T[]>;
      const result = await this.appendWrites(query, [{ host, event }], at);
      for (const st of planWrites(result.writes)) await query(st.text, st.values);
      return result;
    });
    if (stored[0]) this.appended([host]);
    return stored[0];
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
