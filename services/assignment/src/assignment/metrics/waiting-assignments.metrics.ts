import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK, gauge } from '@certflow/runtime';

/**
 * Assignments asked for whose chain.complete has not come (assignment_wanted, not bound). Such a
 * request used to end as a dead letter after its retries; now it waits as a row, so these two
 * gauges are where an operator sees one that waits too long (trust-validation down, or a chain
 * that never completes). Counted when scraped, nothing per event.
 */
export const assignmentsWaiting = gauge({
  name: 'certflow_assignments_waiting_for_chain',
  help: 'Assignments asked for whose chain.complete has not arrived yet',
});
export const oldestAssignmentWaitSeconds = gauge({
  name: 'certflow_assignment_oldest_wait_seconds',
  help: 'How long the oldest assignment still waiting for its chain.complete has waited (0 when none waits)',
});

/** What the gauges read: the number waiting and when the oldest was asked for. */
export async function readWaiting(ds: DataSource): Promise<{ waiting: number; oldest: Date | null }> {
  const [row] = await ds.query(`SELECT count(*)::int AS waiting, min(requested_at) AS oldest FROM assignment_wanted WHERE bound_at IS NULL`);
  return { waiting: Number(row.waiting), oldest: row.oldest ? new Date(row.oldest) : null };
}

@Injectable()
export class WaitingAssignmentsMetrics implements OnModuleInit {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // A failed read keeps the last values. Each gauge reads for itself: two indexed queries a scrape.
    (assignmentsWaiting as unknown as { collect: () => Promise<void> }).collect = async () => {
      const r = await readWaiting(this.ds).catch(() => undefined);
      if (r) assignmentsWaiting.set(r.waiting);
    };
    (oldestAssignmentWaitSeconds as unknown as { collect: () => Promise<void> }).collect = async () => {
      const r = await readWaiting(this.ds).catch(() => undefined);
      if (r) oldestAssignmentWaitSeconds.set(r.oldest ? Math.max(0, (this.clock.now().getTime() - r.oldest.getTime()) / 1000) : 0);
    };
  }
}
