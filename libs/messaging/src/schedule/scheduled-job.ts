import type { DataSource } from 'typeorm';
import type { CloudEvent } from '@certflow/contracts';
import type { OutboxRelay } from '../outbox.relay';
import { errorMessage, type MessagingLogger } from '../messaging.logger';
import { scheduledItems, scheduledRuns } from '../messaging.metrics';
import type { FactTx } from '../facts/fact.handler';
import { inFactTx } from '../facts/fact-tx';
import { outboxWrites } from '../outbox.table';
import type { Write } from '../facts/table';
import { combineStatements, planWrites } from '../facts/write-plan';

/** What one round of a job decided: rows to write and events to publish, committed together. */
export interface ScheduledWork {
  writes: Write[];
  publish: CloudEvent[];
  /** How many due items the round took; a round that took `limit` is followed at once by another. */
  taken: number;
}

/**
 * Work that falls due at instants kept in PostgreSQL (an expiry threshold, a renewal retry), not in
 * a timer: the rows are the only record, so a restart, a second instance or a clock jump loses and
 * doubles nothing.
 *
 * `due` takes the rows due at `now` with `FOR UPDATE SKIP LOCKED` (instances share the work; a row
 * is decided by one of them at a time), and returns the writes that move each row's next instant
 * on, with the events. Both commit in the round's transaction; the events are then published.
 * `now` is the process's injected clock, never PostgreSQL's `now()`: one clock decides.
 */
export interface ScheduledJob {
  readonly name: string;
  due(tx: FactTx, now: Date, limit: number): Promise<ScheduledWork>;
  /** After the commit (metrics, logs). Must not throw. */
  committed?(work: ScheduledWork, now: Date): void;
}

export interface ScheduleOptions {
  /** Time between rounds when nothing more is due. */
  intervalMs: number;
  /** Due items one round takes at most (default 500). */
  limit?: number;
}

/** How long a failing job waits before its next round, at most. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Runs scheduled jobs: a round every `intervalMs` (at once again after a full round), each in one
 * transaction, events published after the commit through the outbox relay.
 */
export class JobScheduler {
  private readonly loops = new Map<string, { timer?: NodeJS.Timeout; running?: Promise<void>; stopped: boolean }>();

  constructor(
    private readonly ds: DataSource,
    private readonly relay: Pick<OutboxRelay, 'publishCommitted'>,
    private readonly log: MessagingLogger,
    private readonly clock: { now(): Date },
  ) {}

  /** One round of `job` at the clock's now. */
  async runOnce(job: ScheduledJob, limit = 500): Promise<ScheduledWork> {
    const now = this.clock.now();
    let work: ScheduledWork;
    try {
      work = await inFactTx(this.ds, async (tx) => {
        const w = await job.due(tx, now, limit);
        for (const st of combineStatements(planWrites([...w.writes, ...outboxWrites(w.publish)]))) await tx.query(st.text, st.values);
        return w;
      });
    } catch (err) {
      scheduledRuns.inc({ job: job.name, outcome: 'failed' });
      throw err;
    }
    scheduledRuns.inc({ job: job.name, outcome: 'ok' });
    if (work.taken > 0) scheduledItems.inc({ job: job.name }, work.taken);
    if (work.publish.length > 0) this.relay.publishCommitted(work.publish);
    try {
      job.committed?.(work, now);
    } catch (err) {
      this.log.error({ job: job.name, err: errorMessage(err) }, 'committed() threw; the round stays applied');
    }
    return work;
  }

  /** Runs `job` until `stop()`: a round, then the next after `intervalMs` (or at once if the round was full). */
  start(job: ScheduledJob, opts: ScheduleOptions): void {
    if (this.loops.has(job.name)) throw new Error(`scheduled job ${job.name} is already running`);
    const limit = opts.limit ?? 500;
    const loop: { timer?: NodeJS.Timeout; running?: Promise<void>; stopped: boolean } = { stopped: false };
    this.loops.set(job.name, loop);
    let failures = 0;
    const next = (delayMs: number) => {
      if (loop.stopped) return;
      loop.timer = setTimeout(() => {
        loop.running = this.runOnce(job, limit).then(
          (w) => {
            failures = 0;
            next(w.taken >= limit ? 0 : opts.intervalMs);
          },
          (err) => {
            failures++;
            const backoff = Math.min(MAX_BACKOFF_MS, opts.intervalMs * 2 ** Math.min(failures, 8));
            this.log.warn({ job: job.name, failures, retryInMs: backoff, err: errorMessage(err) }, 'scheduled job round failed; retrying');
            next(backoff);
          },
        );
      }, delayMs);
    };
    next(0);
  }

  /** Stops every loop and waits for a round in progress. */
  async stop(): Promise<void> {
    const running: Promise<void>[] = [];
    for (const loop of this.loops.values()) {
      loop.stopped = true;
      if (loop.timer) clearTimeout(loop.timer);
      if (loop.running) running.push(loop.running.catch(() => undefined));
    }
    await Promise.all(running);
    this.loops.clear();
  }
}
