import type { DataSource } from 'typeorm';
import { statementGroupStats } from '@certflow/persistence';
import { counter } from './metric.factory';

let source: DataSource | undefined;
const counted = { statements: 0, groups: 0, rerunAlone: 0 };

/** Makes the group-commit counters read `ds`'s (at scrape time: nothing on the hot path). */
export function observeStatementGroups(ds: DataSource): void {
  source = ds;
}

/** What the counter has not shown yet of one of the cumulative stats. */
function unseen(key: keyof typeof counted): number {
  const stats = source ? statementGroupStats(source) : undefined;
  if (!stats) return 0;
  const d = stats[key] - counted[key];
  counted[key] = stats[key];
  return Math.max(0, d);
}

export const dbGroupedStatements = counter({
  name: 'certflow_db_grouped_statements_total',
  help: 'Hot statements sent through group commit (CERTFLOW_DB_GROUP); divided by certflow_db_groups_total, the average group size',
  collect() {
    this.inc(unseen('statements'));
  },
});

export const dbGroups = counter({
  name: 'certflow_db_groups_total',
  help: 'Groups of hot statements sent to PostgreSQL, each one round trip and one commit',
  collect() {
    this.inc(unseen('groups'));
  },
});

export const dbRerunAlone = counter({
  name: 'certflow_db_statements_rerun_alone_total',
  help: 'Statements run again on their own because another statement of their group failed',
  collect() {
    this.inc(unseen('rerunAlone'));
  },
});
