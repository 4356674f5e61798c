/**
 * What the CLI shows while it works. Progress goes to stderr (results and --json to stdout), and
 * only a terminal gets the animated spinner and bar; a pipe or a log file gets plain lines. Every
 * line and cell passes through `printable`: they may quote a subject, SAN or CA message, whose
 * control characters would otherwise reach the terminal.
 */
import { printable } from '@certflow/contracts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function isTty(stream: NodeJS.WriteStream = process.stderr): boolean {
  return !!stream.isTTY && process.env.TERM !== 'dumb' && !process.env.CI;
}

/** One line on stderr, control characters escaped. */
export function info(line: string): void {
  process.stderr.write(printable(line) + '\n');
}

/** A spinner with a text; `note()` prints a line that stays (e.g. each state change). */
export class Spinner {
  private frame = 0;
  private timer?: NodeJS.Timeout;
  private text = '';
  private readonly tty: boolean;
  private readonly started = Date.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, tty?: boolean) {
    this.tty = tty ?? isTty(out);
  }

  start(text: string): this {
    this.text = printable(text);
    if (this.tty) {
      this.timer = setInterval(() => this.render(), 100);
      this.timer.unref();
      this.render();
    }
    return this;
  }

  update(text: string): void {
    this.text = printable(text);
  }

  note(line: string): void {
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(printable(line) + '\n');
    if (this.tty && this.timer) this.render();
  }

  stop(finalLine?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.out.write('\r\x1b[2K');
    if (finalLine) this.out.write(printable(finalLine) + '\n');
  }

  private render(): void {
    const secs = Math.floor((Date.now() - this.started) / 1000);
    this.out.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.text} (${secs}s)`);
  }
}

/** A progress bar with counts per state; without a terminal, one line per finished item. */
export class ProgressBar {
  private done = 0;
  private readonly counts = new Map<string, number>();
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    tty?: boolean,
  ) {
    this.tty = tty ?? isTty(out);
  }

  /** One item finished in `state`; `label` names it for the plain-line output. */
  tick(state: string, label: string): void {
    this.done++;
    this.counts.set(printable(state), (this.counts.get(printable(state)) ?? 0) + 1);
    if (this.tty) this.render();
    else this.out.write(`[${this.done}/${this.total}] ${printable(label)} ${printable(state)}\n`);
  }

  /** A line that stays above the bar. */
  note(line: string): void {
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(printable(line) + '\n');
    if (this.tty) this.render();
  }

  countsText(): string {
    return [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s} ${n}`).join('  ');
  }

  finish(): void {
    if (this.tty) this.out.write('\n');
  }

  private render(): void {
    const width = 30;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    this.out.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total}  ${this.countsText()}`);
  }
}

/** A plain text table: columns padded to the widest cell; cells with control characters escaped. */
export function table(headers: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map((c) => printable(c ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
