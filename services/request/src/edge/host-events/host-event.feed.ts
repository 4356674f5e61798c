import { Inject, Injectable } from '@nestjs/common';
import type { CloudEvent } from '@certflow/contracts';
import { ApiError } from '../../http/api-error';
import { requireSingleValues } from '../../http/query-params';
import { HostEventStore } from './host-event.store';

/** The longest `wait` a call may ask for: long enough to spare polling, short enough for proxies' idle timeouts. */
export const MAX_WAIT_SECONDS = 60;
/** Events another request-service instance stored wake nobody here; a waiting call looks this often. */
export const FEED_POLL_MS = 1_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

/** A page of a host's feed: envelopes oldest first, and the cursor to pass as `after` next time. */
export interface HostEventPage {
  items: CloudEvent[];
  /** The position of the last event returned (or `after` again when none): 1, 2, 3… per host, never skipped. */
  nextCursor: string;
}

export interface FeedQuery {
  after: number;
  waitMs: number;
  limit: number;
}

/** Reads `?after=&wait=&limit=`; each refusal says what to send instead. */
export function parseFeedQuery(q: Record<string, unknown>): FeedQuery {
  requireSingleValues(q);
  const { after, wait, limit } = q as { after?: string; wait?: string; limit?: string };
  if (after !== undefined && !/^\d{1,15}$/.test(after)) {
    throw new ApiError(400, 'INVALID_CURSOR', 'after must be the nextCursor of a previous answer (a whole number), or left out to start from the first event');
  }
  if (wait !== undefined && (!/^\d{1,2}$/.test(wait) || Number(wait) > MAX_WAIT_SECONDS)) {
    throw new ApiError(400, 'INVALID_WAIT', `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`, { max: MAX_WAIT_SECONDS });
  }
  if (limit !== undefined && (!/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT)) {
    throw new ApiError(400, 'INVALID_LIMIT', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return { after: Number(after ?? 0), waitMs: Number(wait ?? 0) * 1000, limit: Number(limit ?? DEFAULT_LIMIT) };
}

/**
 * GET /api/v1/hosts/{host}/events: what is there after the cursor at once, or — with `wait` — as
 * soon as something arrives: woken in-process when this instance stores an event for the host, and
 * looking every FEED_POLL_MS for what another instance stored.
 */
@Injectable()
export class HostEventFeed {
  constructor(@Inject(HostEventStore) private readonly store: HostEventStore) {}

  async read(host: string, q: FeedQuery, closed?: AbortSignal): Promise<HostEventPage> {
    const deadline = Date.now() + q.waitMs;
    for (;;) {
      // Registered before the read, so an event stored in between still wakes this call.
      const woken = this.store.waitFor(host, Math.min(FEED_POLL_MS, deadline - Date.now()));
      const rows = await this.store.after(host, q.after, q.limit);
      if (rows.length > 0 || Date.now() >= deadline || closed?.aborted) {
        return { items: rows.map((r) => r.envelope), nextCursor: String(rows.at(-1)?.position ?? q.after) };
      }
      await woken;
    }
  }
}
