import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { BoundedCache } from '@certflow/pki';
import { NATS_CONNECTION, type NatsConnection, type Subscription } from '@certflow/messaging';
import { RequestStateReader } from '../certificate-request/request-state.reader';
import { HTTP_LOGGER } from '../http/http-logger';
import { REQUEST_HOST_LOOKUP, type RequestHostLookup } from '../access/auth/request-host.lookup';
import { visibleIn, type StreamScope } from './console-stream.scope';
import { isUuid } from '@certflow/contracts';

/** One message on the console's event stream (`GET /api/v1/events/stream`). */
export interface ConsoleEvent {
  /** `certflow` (a NATS event, forwarded) or `request.updated` (a request's committed state changed). */
  event: 'certflow' | 'request.updated';
  data: Record<string, unknown>;
  /** The host the event is about, when known; decides which host-scoped streams get it. Not sent. */
  host?: string;
}

/** One open stream: where its events go, how to end it at shutdown, and what it may see. */
export interface ConsoleListener {
  send(e: ConsoleEvent): void;
  end(): void;
  scope: StreamScope;
}

/** Fields of event data that carry PEM (certificates, CSRs, chains): never forwarded to browsers. */
const BIG_FIELDS = new Set(['csr', 'certificate', 'chain', 'pem', 'pathPem']);
/**
 * After an event about a request, its row is read again at these delays: the event may arrive
 * before this service's own consumer has committed the state change it causes.
 */
const RECHECK_MS = [50, 400, 1_500, 4_000];
const REMEMBER = 10_000;
/** Longest wait for the server to confirm a new subscription before the stream says hello. */
const FLUSH_WAIT_MS = 2_000;

/**
 * Feeds the console's live updates. A plain (non-durable) NATS subscription to `certflow.>` — every
 * instance of the request service sees every event — forwarded without the PEM fields; and for
 * events about a request, `request.updated {id, host, issuer, state, updatedAt}` once this
 * service's own row for it shows a new state, so a browser that re-reads gets the new state.
 */
@Injectable()
export class ConsoleEventsService implements BeforeApplicationShutdown {
  private sub?: Subscription;
  private readonly listeners = new Set<ConsoleListener>();
  /** Request id → host, so an event that names only its request reaches the streams of that host. */
  private readonly hostOf = new BoundedCache<string, string>(REMEMBER);
  private readonly seen = new BoundedCache<string, true>(REMEMBER);
  private readonly lastState = new BoundedCache<string, string>(REMEMBER);
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly states: RequestStateReader,
    @Inject(HTTP_LOGGER) private readonly logger: Logger,
    @Inject(REQUEST_HOST_LOOKUP) private readonly requests: RequestHostLookup,
  ) {}

  /**
   * Subscribed only while a browser listens: every event carries its certificates, and parsing all
   * of them (and re-reading their requests) for nobody cost the request service about a tenth of
   * its time under load.
   */
  private subscribe(): void {
    this.sub ??= this.nc.subscribe('certflow.>', {
      callback: (err, msg) => {
        if (err) return this.logger.warn({ err: err.message }, 'console event subscription error');
        this.onMessage(msg.subject, msg.string());
      },
    });
  }

  private unsubscribeWhenUnused(): void {
    if (this.listeners.size > 0 || !this.sub) return;
    this.sub.unsubscribe();
    this.sub = undefined;
  }

  /** Ends every open stream (so the HTTP server can close) and stops listening. */
  beforeApplicationShutdown(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const l of this.listeners) l.end();
    this.listeners.clear();
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  /**
   * Registers a listener; its `end` is called at shutdown. Resolves, once the server has the
   * subscription, to the function that detaches it.
   */
  async attach(listener: ConsoleListener): Promise<() => void> {
    if (this.closed) {
      listener.end();
      return () => undefined;
    }
    this.listeners.add(listener);
    this.subscribe();
    // Bounded: while NATS is away the stream still opens (and gets events once it is back).
    await Promise.race([this.nc.flush().catch(() => undefined), new Promise((r) => setTimeout(r, FLUSH_WAIT_MS).unref())]);
    return () => {
      this.listeners.delete(listener);
      this.unsubscribeWhenUnused();
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private onMessage(subject: string, body: string): void {
    let envelope: { id?: string; type?: string; subject?: string; time?: string; data?: Record<string, unknown> };
    try {
      envelope = JSON.parse(body);
    } catch {
      return;
    }
    if (envelope.id) {
      // At-least-once publishing may repeat a message; forward each event id once.
      if (this.seen.get(envelope.id)) return;
      this.seen.set(envelope.id, true);
    }
    const data = Object.fromEntries(Object.entries(envelope.data ?? {}).filter(([k]) => !BIG_FIELDS.has(k)));
    const requestId = typeof data.requestId === 'string' ? data.requestId : envelope.subject;
    const aboutRequest = !!requestId && isUuid(requestId);
    let host = typeof data.host === 'string' ? data.host : undefined;
    if (aboutRequest && host) this.hostOf.set(requestId, host);
    host ??= aboutRequest ? this.hostOf.get(requestId) : undefined;
    const event: ConsoleEvent = { event: 'certflow', data: { id: envelope.id, type: envelope.type ?? subject, subject: envelope.subject, time: envelope.time, data }, host };
    if (host || !aboutRequest) this.emit(event);
    else this.emitResolvingHost(event, requestId);
    if (aboutRequest) this.recheck(requestId);
  }

  /**
   * An event that names its request but not its host: unscoped streams get it now; host-scoped
   * ones once the request's host is read (they get nothing when it cannot be: fail closed).
   */
  private emitResolvingHost(event: ConsoleEvent, requestId: string): void {
    this.emit(event, (l) => l.scope === null);
    if (![...this.listeners].some((l) => l.scope !== null)) return;
    this.requests.hostOf(requestId).then(
      (host) => {
        if (!host) return;
        this.hostOf.set(requestId, host);
        this.emit({ ...event, host }, (l) => l.scope !== null);
      },
      (err: Error) => this.logger.warn({ err: err.message, requestId }, 'console could not read the host of a request for host-scoped streams'),
    );
  }

  private recheck(id: string): void {
    for (const delay of RECHECK_MS) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.readState(id);
      }, delay);
      this.timers.add(t);
    }
  }

  private async readState(id: string): Promise<void> {
    if (this.closed || this.listeners.size === 0) return;
    try {
      const row = await this.states.read(id);
      if (!row) return;
      this.hostOf.set(id, row.host);
      const updatedAt = new Date(row.updatedAt).toISOString();
      const key = `${row.state}@${updatedAt}`;
      if (this.lastState.get(id) === key) return;
      this.lastState.set(id, key);
      this.emit({ event: 'request.updated', data: { id, host: row.host, issuer: row.issuer, state: row.state, updatedAt }, host: row.host });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, requestId: id }, 'console could not read a request after an event');
    }
  }

  /** Sends `e` to every listener whose scope lets it see the event's host (and that `only` picks). */
  private emit(e: ConsoleEvent, only?: (l: ConsoleListener) => boolean): void {
    for (const listener of this.listeners) {
      if (only && !only(listener)) continue;
      if (!visibleIn(listener.scope, e.host)) continue;
      try {
        listener.send(e);
      } catch {
        /* a broken stream is detached by its own close handler */
      }
    }
  }
}
