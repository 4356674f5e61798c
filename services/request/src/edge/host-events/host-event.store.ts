import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { normalizeHost, type CloudEvent } from '@certflow/contracts';
import { DATA_SOURCE, runStatement } from '@certflow/persistence';
import { FactSignals, insertRow, planWrites, type FactTx, type Write } from '@certflow/messaging';
import { HOST_EVENTS } from './host-event.tables';

/** Wakes the long-polls of a host in this process when one of its events is stored (keyed by host). */
export const HOST_EVENT_SIGNALS = 'HOST_EVENT_SIGNALS';

/** One stored host event: its place in the host's feed and the CloudEvents envelope as published. */
export interface HostEventRow {
  position: number;
  envelope: CloudEvent;
}

/**
 * The `host_event` table: every event a fleet host acts on, by host, any event type. Positions are
 * 1, 2, 3… per host and never skipped: a position is counted only under the host's lock (a
 * transaction-scoped advisory lock, taken in sorted host order), after the previous one committed,
 * so a reader that has seen position n has seen every event before it. A sequence would not promise
 * that: a later number can commit first, and a reader past it would miss the earlier one for good.
 */
@Injectable()
export class HostEventStore {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(HOST_EVENT_SIGNALS) private readonly signals: FactSignals,
  ) {}

  /**
   * In the caller's transaction: locks the items' hosts and numbers their events after each host's
   * last position, in the order given (several for one host get consecutive positions). One write
   * per item, or null for an event stored before (or earlier in `items`). Write them in that
   * transaction, then `announce` the hosts after the commit.
   */
  async planAppends(tx: FactTx, items: readonly { host: string; event: CloudEvent }[], at: Date): Promise<(Write | null)[]> {
    const hosts = [...new Set(items.map((i) => normalizeHost(i.host)))].sort();
    if (hosts.length === 0) return [];
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('host_event:' || h)) FROM unnest($1::text[]) AS h ORDER BY h`, [hosts]);
    const last = new Map(
      (await tx.query<{ host: string; last: string }>('SELECT host, max(position) AS last FROM host_event WHERE host = ANY ($1) GROUP BY host', [hosts])).map((r) => [r.host, Number(r.last)]),
    );
    const ids = items.map((i) => i.event.id);
    const stored = new Set((await tx.query<{ event_id: string }>('SELECT event_id FROM host_event WHERE event_id = ANY ($1)', [ids])).map((r) => r.event_id));
    return items.map(({ host, event }) => {
      if (stored.has(event.id)) return null;
      stored.add(event.id);
      const h = normalizeHost(host);
      const position = (last.get(h) ?? 0) + 1;
      last.set(h, position);
      // 'fail' on a clash: under the lock there is none, and skipping one would leave a gap.
      return insertRow(HOST_EVENTS, { host: h, position, eventId: event.id, type: event.type, time: new Date(event.time), envelope: event, recordedAt: at });
    });
  }

  /** Wakes this process's long-polls of the hosts, after their events committed. */
  announce(hosts: Iterable<string>): void {
    for (const h of new Set([...hosts].map(normalizeHost))) this.signals.changed(h);
  }

  /** Stores `event` for `host` once per event id (a redelivery writes nothing), in a transaction of its own; true when it was new. */
  async append(host: string, event: CloudEvent, at: Date): Promise<boolean> {
    const stored = await this.ds.transaction(async (m) => {
      const tx: FactTx = { query: (text, values) => runStatement(m, text, values), manager: m };
      const [write] = await this.planAppends(tx, [{ host, event }], at);
      if (!write) return false;
      for (const st of planWrites([write])) await runStatement(m, st.text, st.values);
      return true;
    });
    if (stored) this.announce([host]);
    return stored;
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
