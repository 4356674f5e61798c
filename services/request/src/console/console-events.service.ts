import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { BoundedCache } from '@certflow/pki';
import { DATA_SOURCE } from '@certflow/persistence';
import { NATS_CONNECTION, type NatsConnection, type Subscription } from '@certflow/messaging';
import { CertificateRequestRow } from '../certificate-request/persistence/certificate-request.orm-entity';
import { HTTP_LOGGER } from '../http/error.filter';

/** One message on the console's event stream (`GET /api/v1/events/stream`). */
export interface ConsoleEvent {
  /** `certflow` (a NATS event, forwarded) or `request.updated` (a request's committed state changed). */
  event: 'certflow' | 'request.updated';
  data: Record<string, unknown>;
}

type Listener = (e: ConsoleEvent) => void;

/** Fields of event data that carry PEM (certificates, CSRs, chains): never forwarded to browsers. */
const BIG_FIELDS = new Set(['csr', 'certificate', 'chain', 'pem']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
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
  private readonly listeners = new Map<Listener, () => void>();
  private readonly seen = new BoundedCache<string, true>(REMEMBER);
  private readonly lastState = new BoundedCache<string, string>(REMEMBER);
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(HTTP_LOGGER) private readonly logger: Logger,
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
    for (const end of this.listeners.values()) end();
    this.listeners.clear();
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  /**
   * Registers a listener; `end` is called at shutdown. Resolves, once the server has the
   * subscription, to the function that detaches it.
   */
  async attach(listener: Listener, end: () => void): Promise<() => void> {
    if (this.closed) {
      end();
      return () => undefined;
    }
    this.listeners.set(listener, end);
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
    this.emit({ event: 'certflow', data: { id: envelope.id, type: envelope.type ?? subject, subject: envelope.subject, time: envelope.time, data } });
    const requestId = typeof data.requestId === 'string' ? data.requestId : envelope.subject;
    if (requestId && UUID.test(requestId)) this.recheck(requestId);
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
    if (this.closed || this.listeners.size === 0 || !this.ds.isInitialized) return;
    try {
      const row = await this.ds.getRepository(CertificateRequestRow).findOne({ where: { id }, select: { id: true, host: true, issuer: true, state: true, updatedAt: true } });
      if (!row) return;
      const updatedAt = new Date(row.updatedAt).toISOString();
      const key = `${row.state}@${updatedAt}`;
      if (this.lastState.get(id) === key) return;
      this.lastState.set(id, key);
      this.emit({ event: 'request.updated', data: { id, host: row.host, issuer: row.issuer, state: row.state, updatedAt } });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, requestId: id }, 'console could not read a request after an event');
    }
  }

  private emit(e: ConsoleEvent): void {
    for (const listener of this.listeners.keys()) {
      try {
        listener(e);
      } catch {
        /* a broken stream is detached by its own close handler */
      }
    }
  }
}
