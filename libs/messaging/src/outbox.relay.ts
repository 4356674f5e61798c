import type { DataSource } from 'typeorm';
import type { Pool, QueryResult } from 'pg';
import type { JetStreamPublisher } from './jetstream.publisher';
import { defaultLogger, errorMessage, type MessagingLogger } from './messaging.logger';
import { OutboxMessage } from './outbox-message.entity';
import { countOutboxPendingWith, outboxPublished, outboxPublishFailures } from './messaging.metrics';

/** Tuning of an `OutboxRelay`; the defaults suit every service. */
export interface OutboxRelayOptions {
  /** Pause between rounds when nothing kicks the relay. Default 250 ms. */
  pollMs?: number;
  /** Rows published per transaction. Default 200. */
  batchSize?: number;
  /** How long published rows are kept (for inspection) before deletion. Default one hour. */
  retentionMs?: number;
  /** How often published rows older than `retentionMs` are deleted. Default every minute. */
  cleanupEveryMs?: number;
  logger?: MessagingLogger;
}

/** How often a relay that keeps failing says so again. */
const FAILURE_LOG_EVERY_MS = 30_000;

/**
 * Publishes the outbox: the events services committed with their state changes. Each round takes
 * the oldest unpublished rows with `FOR UPDATE SKIP LOCKED` (so several relays, in several
 * instances, share the work without publishing a row twice at once), publishes them in parallel,
 * and marks the published ones, all in one transaction. A row whose publish failed stays for the
 * next round; a republish after a crash carries the same `Nats-Msg-Id` and JetStream drops it.
 *
 * Runs every `pollMs`, and at once after `kick()`.
 */
export class OutboxRelay {
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly retentionMs: number;
  private readonly cleanupEveryMs: number;
  private readonly log: MessagingLogger;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private kicked = false;
  private stopped = true;
  private lastCleanupAt = 0;
  private failingSince?: number;
  private lastFailureLogAt = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: JetStreamPublisher,
    opts: OutboxRelayOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 250;
    this.batchSize = opts.batchSize ?? 200;
    this.retentionMs = opts.retentionMs ?? 60 * 60_000;
    this.cleanupEveryMs = opts.cleanupEveryMs ?? 60_000;
    this.log = opts.logger ?? defaultLogger('outbox-relay');
    // Counted when scraped, not per round: one indexed count per scrape, nothing on the hot path.
    countOutboxPendingWith(() => this.countPending());
  }

  /** Unpublished rows, for the `certflow_outbox_pending` gauge. */
  countPending(): Promise<number> {
    return this.ds.getRepository(OutboxMessage).createQueryBuilder('o').where('o.publishedAt IS NULL').getCount();
  }

  /** Starts publishing: a first round now, then one every `pollMs`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Publishes soon — call it after committing a transaction that enqueued events. */
  kick(): void {
    if (this.stopped) return;
    if (this.round) this.kicked = true;
    else this.schedule(0);
  }

  /** Stops the rounds and waits for the one in progress to commit. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /**
   * One transaction: publishes up to `batchSize` of the oldest unpublished rows and marks those that
   * JetStream acknowledged. Returns how many were published. Public for tests and for a final flush
   * at shutdown.
   *
   * Two round trips a round, not four: BEGIN travels with the SELECT and COMMIT with the UPDATE, as
   * multi-statement simple queries. That is safe without parameters: the limit is ours and the seqs
   * are the bigints PostgreSQL just returned (checked to be digits). A round trip costs more than
   * the rows, and the relay runs after nearly every commit.
   */
  async drainOnce(): Promise<number> {
    const client = await (this.ds.driver as unknown as { master: Pool }).master.connect();
    // pg-pool stops listening for a client's errors while it is checked out. If PostgreSQL goes
    // away while this round waits on NATS, the client's 'error' event would be unhandled and kill
    // the process; with a listener, the next query fails instead and the catch below discards it.
    const onConnectionError = () => undefined;
    client.on('error', onConnectionError);
    let batch: { published: number; failed: number; failure?: unknown };
    try {
      const results = (await client.query(
        // The payload as text, published as it is: parsing and re-serializing it cost the relay more than the rest.
        `BEGIN; SELECT seq, id, subject, payload::text AS payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ${Math.trunc(this.batchSize)} FOR UPDATE SKIP LOCKED`,
      )) as unknown as QueryResult<{ seq: string; id: string; subject: string; payload: string }>[];
      const rows = results[1].rows;
      const sent = await Promise.allSettled(rows.map((row) => this.publisher.publishJson(row.subject, row.id, row.payload)));
      const published = rows.filter((_, i) => sent[i].status === 'fulfilled').map((row) => String(row.seq));
      if (published.some((seq) => !/^\d+$/.test(seq))) throw new Error('outbox seq is not an integer');
      await client.query(published.length > 0 ? `UPDATE outbox SET published_at = now() WHERE seq IN (${published.join(',')}); COMMIT` : 'COMMIT');
      const failure = sent.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      batch = { published: published.length, failed: rows.length - published.length, failure: failure?.reason as unknown };
    } catch (err) {
      // A connection that cannot even roll back is broken: destroy it rather than pool it.
      const broken = await client.query('ROLLBACK').then(() => false, () => true);
      client.removeListener('error', onConnectionError);
      client.release(broken);
      throw err;
    }
    client.removeListener('error', onConnectionError);
    client.release();
    // The rows that did publish are marked and committed; the others wait for the next round.
    outboxPublished.inc(batch.published);
    if (batch.failed > 0) outboxPublishFailures.inc(batch.failed);
    if (batch.failed > 0) this.reportFailure(`${batch.failed} event(s) not published: ${errorMessage(batch.failure)}`);
    else this.reportSuccess();
    return batch.published;
  }

  /** Deletes published rows older than `retentionMs`. Returns how many. */
  async deletePublished(): Promise<number> {
    const result = await this.ds
      .createQueryBuilder()
      .delete()
      .from(OutboxMessage)
      .where('published_at < :cutoff', { cutoff: new Date(Date.now() - this.retentionMs) })
      .execute();
    return result.affected ?? 0;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runRound(), delayMs);
    this.timer.unref();
  }

  private runRound(): void {
    if (this.stopped || this.round) return;
    this.kicked = false;
    this.round = this.publishAll().finally(() => {
      this.round = undefined;
      if (!this.stopped) this.schedule(this.kicked ? 0 : this.pollMs);
    });
  }

  private async publishAll(): Promise<void> {
    try {
      // A full batch suggests more are waiting; a short one (or one with failures) ends the round.
      while (!this.stopped && (await this.drainOnce()) >= this.batchSize);
      if (Date.now() - this.lastCleanupAt >= this.cleanupEveryMs) {
        this.lastCleanupAt = Date.now();
        const deleted = await this.deletePublished();
        if (deleted > 0) this.log.debug({ deleted }, 'deleted published outbox rows');
      }
    } catch (err) {
      this.reportFailure(errorMessage(err));
    }
  }

  /** Logs a failing relay once, then every 30 s while it keeps failing, not on every round. */
  private reportFailure(problem: string): void {
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.lastFailureLogAt < FAILURE_LOG_EVERY_MS) return;
    this.lastFailureLogAt = now;
    this.log.warn({ err: problem }, 'outbox relay could not publish; unpublished rows stay for the next round');
  }

  private reportSuccess(): void {
    if (this.failingSince === undefined) return;
    this.log.info({ failingForMs: Date.now() - this.failingSince }, 'outbox relay publishing again');
    this.failingSince = undefined;
    this.lastFailureLogAt = 0;
  }
}
