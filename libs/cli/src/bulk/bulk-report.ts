// The report of a bulk run: one item per host, counts per state, the summary table, the exit code.
import type { ExitCode } from '../exit-codes';
import { EXIT } from '../exit-codes';
import { table } from '../ui';

/** One line of the machine-readable report. */
export interface BulkItem {
  host: string;
  requestId?: string;
  state: string;
  thumbprint?: string;
  /** Done by an earlier run; nothing was sent this time. */
  skipped?: boolean;
  detail?: string;
  error?: { code: string; message: string };
}

export interface BulkReport {
  command: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  total: number;
  counts: Record<string, number>;
  items: BulkItem[];
}

export const OK_STATES = new Set(['ASSIGNED', 'ASSIGNABLE']);

export function exitFor(item: BulkItem): ExitCode {
  if (item.error) return item.error.code === 'TIMEOUT' ? EXIT.TIMEOUT : EXIT.ERROR;
  if (item.state === 'CHAIN_INCOMPLETE') return EXIT.CHAIN_INCOMPLETE;
  if (item.state === 'FAILED') return EXIT.FAILED;
  return EXIT.OK;
}

export function summarize(command: string, startedAt: Date, total: number, items: BulkItem[], interrupted: boolean): BulkReport {
  const counts: Record<string, number> = {};
  for (const i of items) {
    const key = i.error ? 'ERROR' : i.state;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const notRun = total - items.length;
  if (notRun > 0) counts.NOT_RUN = notRun;
  return { command, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), interrupted, total, counts, items };
}

/** `ok`: the states that need nothing more (the others are listed with what to do). */
export function printSummary(report: BulkReport, reportPath?: string, ok: ReadonlySet<string> = OK_STATES): void {
  const skipped = report.items.filter((i) => i.skipped).length;
  const rows = Object.entries(report.counts).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => [s, String(n)]);
  rows.push(['total', String(report.total)]);
  let text = `\n${table(['STATE', 'HOSTS'], rows)}\n`;
  if (skipped) text += `(${skipped} done by an earlier run, skipped)\n`;
  const problems = report.items.filter((i) => i.error || !ok.has(i.state));
  if (problems.length) {
    text += `\n${table(['HOST', 'REQUEST', 'STATE', 'WHAT TO DO'], problems.slice(0, 50).map((i) => [i.host, i.requestId ?? '-', i.error ? 'ERROR' : i.state, i.error ? `${i.error.message} (${i.error.code})` : (i.detail ?? '')]))}\n`;
    if (problems.length > 50) text += `… and ${problems.length - 50} more (see the report)\n`;
  }
  if (reportPath) text += `report: ${reportPath}\n`;
  process.stdout.write(text);
}
