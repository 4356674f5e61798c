import type { DataSource } from 'typeorm';
import type { Pool, QueryResult } from 'pg';
import type { CloudEvent } from '@certflow/contracts';
import type { JetStreamPublisher } from './jetstream.publisher';
import { defaultLogger, errorMessage, type MessagingLogger } from './messaging.logger';
import { OutboxMarks } from './outbox-marks';
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
  /**
   * Rows younger than this are left to `publishCommitted` by the timed rounds. Default 2000 ms: a
   * committed event is normally published and marked within milliseconds, so an older unmarked row
   * is one whose publish failed, or whose service died in between.
   */
  graceMs?: number;
  /**
   * How long marks of events published by `publishCommitted` wait to go to PostgreSQL together.
   * Default 200 ms: at 150 certificates/s, 20 ms gave each mark nearly its own commit.
   */
  markDelayMs?: number;
  logger?: MessagingLogger;
}

/** How often a relay that keeps failing says so again. */
const FAILURE_LOG_EVERY_MS = 30_000;

/**
 * Publishes the outbox: the events services committed with their state changes.
 *
 * - **Right after the commit** (`publishCommitted`): the code that committed hands over the events
 *   it knows it stored; they are published at once and marked published a moment later, many marks
 *   in one grouped statement. No extra transaction, no read of the outbox, no wait for a round.
 * - **Rounds** (every `pollMs`, and at once after `kick()`): take the oldest unpublished rows with
 *   `FOR UPDATE SKIP LOCKED` (so several relays, in several instances, share the work without
 *   publishing a row twice at once), publish them in parallel, and mark the published ones, all in
 *   one transaction. Timed rounds take only rows older than `graceMs`: what a commit's own publish
 *   missed (NATS was down, the process died before publishing or marking). A kicked round takes
 *   fresh rows too, but not those this process is publishing itself.
 *
 * A row published twice (eagerly and by a round, or after a crash) carries the same `Nats-Msg-Id`
 * both times and JetStream drops the second; consumers dedupe by event id as well.
 */
export class OutboxRelay {
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly retentionMs: number;
  private readonly cleanupEveryMs: number;
  private readonly log: MessagingLogger;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  /** A kick came while a round ran: another round follows at once. */
  private kicked = false;
  /** The scheduled round was asked for (start, kick): it takes fresh rows too. */
  private kickPending = false;
  private stopped = true;
  private lastCleanupAt = 0;
  private failingSince?: number;
  private lastFailureLogAt = 0;
  private readonly graceMs: number;
  /** Ids this process publishes itself (`publishCommitted`) until their mark is written. */
  private readonly eager = new Set<string>();
  private readonly eagerInFlight = new Set<Promise<void>>();
  private readonly marks: OutboxMarks;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: JetStreamPublisher,
    opts: OutboxRelayOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 250;
    this.batchSize = opts.batchSize ?? 200;
    this.retentionMs = opts.retentionMs ?? 60 * 60_000;
    this.cleanupEveryMs = opts.cleanupEveryMs ?? 60_000;
    this.graceMs = opts.graceMs ?? 2_000;
    this.log = opts.logger ?? defaultLogger('outbox-relay');
    this.marks = new OutboxMarks(
      ds,
      opts.markDelayMs ?? 200,
      (ids) => ids.forEach((id) => this.eager.delete(id)),
      (problem) => this.reportFailure(problem),
    );
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
    // Rows of any age: what a process stopped or killed before left unpublished.
    this.kickPending = true;
    this.schedule(0);
  }

  /**
   * Publishes `events` now — call it right after the commit that stored exactly these events in the
   * outbox (never for a statement that may not have stored them). Does not wait: an event whose
   * publish fails stays unpublished in the outbox and a round publishes it after `graceMs`.
   */
  publishCommitted(events: readonly CloudEvent[]): void {
    if (this.stopped) return; // the next start's rounds publish them
    for (const e of events) {
      if (this.eager.has(e.id)) continue;
      this.eager.add(e.id);
      const sent: Promise<void> = this.publisher.publishJson(e.type, e.id, JSON.stringify(e)).then(
        () => {
          outboxPublished.inc();
          this.marks.add(e.id);
          this.reportSuccess();
        },
        (err: unknown) => {
          this.eager.delete(e.id);
          outboxPublishFailures.inc();
          this.reportFailure(`event ${e.id} not published: ${errorMessage(err)}`);
        },
      );
      this.eagerInFlight.add(sent);
      void sent.finally(() => this.eagerInFlight.delete(sent));
    }
  }

  /** Publishes soon, in a round — for code that cannot tell exactly which events its commit stored. */
  kick(): void {
    if (this.stopped) return;
    if (this.round) this.kicked = true;
    else {
      this.kickPending = true;
      this.schedule(0);
    }
  }

  /** Stops the rounds and waits for the one in progress to commit, and for eager publishes to be marked. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    await Promise.all([...this.eagerInFlight]);
    await this.marks.flush();
  }

  /**
   * Resolves when no round runs and none is due at once (the one `start()` or `kick()` asked for has
   * ended). For tests that must know a round will not read the outbox under them.
   */
  async settled(): Promise<void> {
    while (this.round || ((this.kickPending || this.kicked) && !this.stopped)) {
      await (this.round ?? new Promise((resolve) => setTimeout(resolve, 1)));
    }
  }

  /**
   * One transaction: publishes up to `batchSize` of the oldest unpublished rows and marks those that
   * JetStream acknowledged. Returns how many were published. Public for tests and for a final flush
   * at shutdown.
   *
   * Two round trips a round, not four: BEGIN travels with the SELECT and COMMIT with the UPDATE, as
   * multi-statement simple queries. That is safe without parameters: the limit and the age are ours
   * and the seqs are the bigints PostgreSQL just returned (checked to be digits).
   *
   * `minAgeMs` leaves younger rows alone (timed rounds pass `graceMs`). Rows this process is
   * publishing itself are skipped either way.
   */
  async drainOnce(minAgeMs = 0): Promise<number> {
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
        `BEGIN; SELECT seq, id, subject, payload::text AS payload FROM outbox WHERE published_at IS NULL${
          minAgeMs > 0 ? ` AND created_at < now() - interval '${Math.trunc(minAgeMs)} milliseconds'` : ''
        } ORDER BY seq LIMIT ${Math.trunc(this.batchSize)} FOR UPDATE SKIP LOCKED`,
      )) as unknown as QueryResult<{ seq: string; id: string; subject: string; payload: string }>[];
      const rows = results[1].rows.filter((row) => !this.eager.has(row.id));
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
    const minAgeMs = this.kicked || this.kickPending ? 0 : this.graceMs;
    this.kicked = false;
    this.kickPending = false;
    this.round = this.publishAll(minAgeMs).finally(() => {
      this.round = undefined;
      if (!this.stopped) this.schedule(this.kicked ? 0 : this.pollMs);
    });
  }

  private async publishAll(minAgeMs: number): Promise<void> {
    try {
      // A full batch suggests more are waiting; a short one (or one with failures) ends the round.
      while (!this.stopped && (await this.drainOnce(minAgeMs)) >= this.batchSize);
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
