import { HostFeedSignals } from './host-feed.signals';
import type { CloudEvent } from '@certflow/contracts';
import { ApiError } from '../../http/api-error';
import { HostEventFeed, MAX_WAIT_SECONDS, parseFeedQuery } from './host-event.feed';
import type { HostEventRow, HostEventStore } from './host-event.store';

/** The store's contract in memory: positions 1, 2, 3… per host; appending wakes the host's waiters. */
class MemoryStore {
  readonly rows: (HostEventRow & { host: string })[] = [];
  reads = 0;
  constructor(private readonly signals = new HostFeedSignals()) {}
  append(host: string, id: string) {
    const position = this.rows.filter((r) => r.host === host).length + 1;
    this.rows.push({ host, position, envelope: { id } as CloudEvent });
    this.signals.changed(host);
  }
  async after(host: string, position: number, limit: number) {
    this.reads++;
    return this.rows.filter((r) => r.host === host && r.position > position).slice(0, limit);
  }
  waitFor(host: string, ms: number) {
    return this.signals.wait(host, ms);
  }
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as ApiError).code;
  }
  return 'none';
};

describe('host event feed', () => {
  describe('parseFeedQuery', () => {
    it('defaults to the first event, no wait, 100 at a time', () => {
      expect(parseFeedQuery({})).toEqual({ after: 0, waitMs: 0, limit: 100 });
      expect(parseFeedQuery({ after: '7', wait: String(MAX_WAIT_SECONDS), limit: '5' })).toEqual({ after: 7, waitMs: MAX_WAIT_SECONDS * 1000, limit: 5 });
    });
    it.each([
      [{ wait: String(MAX_WAIT_SECONDS + 1) }, 'INVALID_WAIT'],
      [{ wait: '-1' }, 'INVALID_WAIT'],
      [{ wait: '1.5' }, 'INVALID_WAIT'],
      [{ wait: 'soon' }, 'INVALID_WAIT'],
      [{ after: 'abc' }, 'INVALID_CURSOR'],
      [{ after: '-3' }, 'INVALID_CURSOR'],
      [{ limit: '0' }, 'INVALID_LIMIT'],
      [{ limit: '501' }, 'INVALID_LIMIT'],
      [{ after: ['1', '2'] }, 'INVALID_QUERY'],
    ])('refuses %j with %s', (q, expected) => {
      expect(code(() => parseFeedQuery(q))).toBe(expected);
    });
  });

  describe('HostEventFeed.read', () => {
    let store: MemoryStore;
    let feed: HostEventFeed;
    beforeEach(() => {
      store = new MemoryStore();
      feed = new HostEventFeed(store as unknown as HostEventStore);
    });

    it('answers what is after the cursor at once, oldest first, with the last position as the next cursor', async () => {
      for (const id of ['e1', 'e2', 'e3']) store.append('a.example.com', id);
      store.append('b.example.com', 'other');
      const page = await feed.read('a.example.com', { after: 1, waitMs: 10_000, limit: 100 });
      expect(page).toEqual({ items: [{ id: 'e2' }, { id: 'e3' }], nextCursor: '3' });
      expect(await feed.read('a.example.com', { after: 0, waitMs: 0, limit: 2 })).toEqual({ items: [{ id: 'e1' }, { id: 'e2' }], nextCursor: '2' });
    });

    it('without events and without wait, answers empty with the same cursor', async () => {
      expect(await feed.read('a.example.com', { after: 4, waitMs: 0, limit: 100 })).toEqual({ items: [], nextCursor: '4' });
    });

    it('with wait, answers as soon as an event of the host is stored, not at the deadline', async () => {
      const started = Date.now();
      const pending = feed.read('a.example.com', { after: 0, waitMs: 30_000, limit: 100 });
      setTimeout(() => store.append('b.example.com', 'not-mine'), 20);
      setTimeout(() => store.append('a.example.com', 'mine'), 60);
      expect(await pending).toEqual({ items: [{ id: 'mine' }], nextCursor: '1' });
      expect(Date.now() - started).toBeLessThan(900);
    });

    it('with wait, answers empty at the deadline when nothing came', async () => {
      const started = Date.now();
      expect(await feed.read('a.example.com', { after: 0, waitMs: 300, limit: 100 })).toEqual({ items: [], nextCursor: '0' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('stops waiting once the client has gone', async () => {
      const gone = new AbortController();
      gone.abort();
      expect(await feed.read('a.example.com', { after: 0, waitMs: 30_000, limit: 100 }, gone.signal)).toEqual({ items: [], nextCursor: '0' });
      expect(store.reads).toBe(1);
    });
  });
});
