import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CertificateIssuedV1, createEvent, printable, RequestFailedV1, RequestPendingV1, type CloudEvent } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { enqueue, OutboxRelay } from '@certflow/messaging';
import { isPkiInputError, parseCertificate, thumbprintSha1, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CaAdapterRegistry } from './ca-adapter.registry';
import { timeCaCall } from '../metrics/ca.metrics';
import { isDrivable, type DriveOutcome, type PendingIssuance } from './ca-adapter.port';
import { type BackoffPolicy, nextDelayMs, shouldGiveUp } from './drive.backoff';
import { IssuanceOrmEntity } from './persistence/issuance.orm-entity';
import type { IssuanceOutcome } from './persistence/issuance.record';

/** Injection token of the poller's timing: tick interval, lease, backoff. */
export const POLLER_SETTINGS = 'CA_GATEWAY_POLLER_SETTINGS';
export interface PollerSettings {
  tickMs: number;
  /** How long a claimed request is this instance's before another may take it (a crashed instance). */
  leaseMs: number;
  batch: number;
  backoff: BackoffPolicy;
}

const SOURCE = 'certflow/ca-gateway';

/**
 * Drives the requests that drivable adapters (ACME) left pending. Each tick claims the due rows with
 * `FOR UPDATE SKIP LOCKED` and moves their next attempt a lease ahead, so two gateway instances never
 * drive one order at once and a crashed instance's orders are picked up after the lease; the CA is
 * called outside any transaction. The result is written back only while the row is still pending, and
 * the events that tell it (request.pending with a new detail, certificate.issued, request.failed) go
 * through the outbox in that same transaction: a request is issued once.
 */
@Injectable()
export class PendingOrderPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(PendingOrderPoller.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly registry: CaAdapterRegistry,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(POLLER_SETTINGS) private readonly settings: PollerSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.registry.issuers().some((i) => isDrivable(this.registry.get(i)))) return;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((err) => this.log.error(`order poller tick failed: ${(err as Error).message}`))
        .finally(() => this.schedule(this.settings.tickMs));
    }, ms);
  }

  /** One round: claim the due requests, drive each, write back. Exposed for tests. */
  async tick(): Promise<number> {
    const now = this.clock.now();
    type Claimed = { request_id: string; issuer: string; csr_pem: string; order_url: string | null; attempts: number };
    const raw: unknown[] = await this.ds.query(
      `UPDATE issuance SET next_attempt_at = $2
        WHERE request_id IN (SELECT request_id FROM issuance
                              WHERE state = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1
                              ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING request_id, issuer, csr_pem, order_url, attempts`,
      [now, new Date(now.getTime() + this.settings.leaseMs), this.settings.batch],
    );
    // TypeORM answers an UPDATE with [rows, affected count].
    const claimed = (Array.isArray(raw[0]) ? raw[0] : raw) as Claimed[];
    await Promise.all(
      claimed.map((row) =>
        this.driveOne({ requestId: row.request_id, issuer: row.issuer, csrPem: row.csr_pem, orderUrl: row.order_url, attempts: row.attempts }).catch((err) =>
          this.log.error(`driving request ${row.request_id} failed: ${printable((err as Error).message)}`),
        ),
      ),
    );
    return claimed.length;
  }

  private async driveOne(p: PendingIssuance): Promise<void> {
    const adapter = this.registry.get(p.issuer);
    if (!isDrivable(adapter)) {
      // Configuration changed under a pending order: leave it be, look again later.
      this.log.warn(`request ${p.requestId}: issuer ${p.issuer} is not a drivable issuer here any more`);
      return;
    }
    const outcome = await timeCaCall({ issuer: p.issuer, adapter: adapter.type, call: 'drive' }, () => adapter.drive(p));
    const changed = await this.ds.transaction(async (m) => {
      const repo = m.getRepository(IssuanceOrmEntity);
      const row = await repo.findOne({ where: { requestId: p.requestId }, lock: { mode: 'pessimistic_write' } });
      if (!row || row.state !== 'pending') return false;
      const at = this.clock.now();
      const events = this.apply(row, outcome, at);
      await repo.save(row);
      if (events.length) await enqueue(m, ...events);
      return events.length > 0;
    });
    if (changed) this.relay.kick();
  }

  /** Updates `row` from one drive outcome; returns the events to publish. */
  private apply(row: IssuanceOrmEntity, outcome: DriveOutcome, at: Date): CloudEvent[] {
    const opts = { source: SOURCE, subject: row.requestId, time: at };
    const before = row.outcome.kind === 'pending' ? row.outcome.detail : '';
    row.updatedAt = at;
    switch (outcome.kind) {
      case 'progress': {
        row.orderUrl = outcome.orderUrl;
        row.attempts = 0;
        row.lastError = null;
        row.nextAttemptAt = new Date(at.getTime() + outcome.afterMs);
        return this.pending(row, outcome.detail, before, opts);
      }
      case 'retry': {
        row.lastError = outcome.reason;
        if (shouldGiveUp(row.pendingSince ?? row.createdAt, at, this.settings.backoff)) {
          const message = `the CA could not be reached for ${Math.round(this.settings.backoff.giveUpMs / 60_000)} min: ${outcome.reason}`;
          return this.final(row, { kind: 'refused', code: 'CaUnreachable', message }, opts);
        }
        row.nextAttemptAt = new Date(at.getTime() + nextDelayMs(row.attempts, this.settings.backoff, outcome.afterMs));
        row.attempts += 1;
        this.log.warn(`request ${row.requestId}: ${printable(outcome.reason)}; retry ${row.attempts} at ${row.nextAttemptAt.toISOString()}`);
        const base = before.replace(/; last attempt: .*$/, '');
        return this.pending(row, `${base}; last attempt: ${outcome.reason.replace(/\s+/g, ' ').slice(0, 300)}`, before, opts);
      }
      case 'issued': {
        let thumbprint: string;
        try {
          thumbprint = thumbprintSha1(parseCertificate(outcome.certificate));
        } catch (error) {
          if (!isPkiInputError(error)) throw error;
          return this.final(row, { kind: 'failed', code: 'CertificateUnreadable', message: 'the CA returned something that is not exactly one X.509 certificate' }, opts);
        }
        this.finish(row, outcome, thumbprint);
        return [createEvent(CertificateIssuedV1, { requestId: row.requestId, issuer: row.issuer, certificate: outcome.certificate, chain: outcome.chain, thumbprint }, opts)];
      }
      case 'refused':
        return this.final(row, outcome, opts);
      default: {
        const unexpected: never = outcome;
        throw new Error(`unexpected drive outcome ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private pending(row: IssuanceOrmEntity, detail: string, before: string, opts: { source: string; subject: string; time: Date }): CloudEvent[] {
    row.outcome = { kind: 'pending', detail };
    // The detail quotes the CA (an order URL, its last error): escaped for the log line, as sent in the event.
    if (detail !== before) this.log.log(`request ${row.requestId}: ${printable(detail)}`);
    return detail === before ? [] : [createEvent(RequestPendingV1, { requestId: row.requestId, issuer: row.issuer, detail }, opts)];
  }

  private final(row: IssuanceOrmEntity, outcome: Extract<IssuanceOutcome, { kind: 'refused' | 'failed' }>, opts: { source: string; subject: string; time: Date }): CloudEvent[] {
    this.finish(row, outcome, null);
    this.log.warn(`request ${row.requestId} failed at the CA: ${printable(`${outcome.code}: ${outcome.message}`)}`);
    return [createEvent(RequestFailedV1, { requestId: row.requestId, stage: 'issuance', code: outcome.code, message: outcome.message }, opts)];
  }

  private finish(row: IssuanceOrmEntity, outcome: IssuanceOutcome, thumbprint: string | null): void {
    row.outcome = outcome;
    row.state = outcome.kind;
    row.thumbprint = thumbprint;
    row.nextAttemptAt = null;
  }
}
