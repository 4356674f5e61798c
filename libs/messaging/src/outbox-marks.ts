import type { DataSource } from 'typeorm';
import { runStatement } from '@certflow/persistence';
import { errorMessage } from './messaging.logger';

/**
 * The `published_at` marks of events a process published itself right after their commit
 * (`OutboxRelay.publishCommitted`). They wait `delayMs` and go to PostgreSQL together, in one grouped
 * statement: a mark per event was nearly a commit per event.
 */
export class OutboxMarks {
  private ids: string[] = [];
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;

  constructor(
    private readonly ds: DataSource,
    private readonly delayMs: number,
    /** Called with the ids of each write, marked or not, so the relay stops skipping them. */
    private readonly written: (ids: readonly string[]) => void,
    private readonly failed: (problem: string) => void,
  ) {}

  add(id: string): void {
    this.ids.push(id);
    this.schedule();
  }

  /** Writes what waits now, after a write already under way. */
  async flush(): Promise<void> {
    await this.writing;
    await this.write();
  }

  private schedule(): void {
    if (this.timer || this.writing || this.ids.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.write().finally(() => {
        this.writing = undefined;
        this.schedule();
      });
    }, this.delayMs);
    // The relay's stop() writes what is left; a pending mark alone must not keep the process alive.
    this.timer.unref();
  }

  private async write(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ids = this.ids;
    if (ids.length === 0) return;
    this.ids = [];
    try {
      await runStatement(this.ds.manager, 'UPDATE outbox SET published_at = now() WHERE id = ANY($1::text[]) AND published_at IS NULL', [ids]);
    } catch (err) {
      // Unmarked rows are published again by a round after the grace; JetStream drops the copies.
      this.failed(`could not mark ${ids.length} published event(s): ${errorMessage(err)}`);
    } finally {
      this.written(ids);
    }
  }
}
