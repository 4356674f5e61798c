import { InvalidArgumentError, type Command } from 'commander';
import { ISO_DURATION_HINT, USAGES, parseIsoDuration } from '@certflow/contracts';
import { ApiClient } from './api-client';
import { resolveConnection } from './config';

/** Collects a repeatable option; each value may also be a comma- or semicolon-separated list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/[,;]/).map((s) => s.trim()).filter(Boolean)];
}

/** Usage names, case-insensitive (`webservicesinternal` → `WebServicesInternal`). */
export function parseUsages(values: string[]): string[] {
  return values.map((v) => {
    const u = USAGES.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!u) throw new InvalidArgumentError(`"${v}" is not a usage; use ${USAGES.join(', ')}`);
    return u;
  });
}

export function collectUsages(value: string, previous: string[] = []): string[] {
  return [...previous, ...parseUsages(collect(value))];
}

/** `90`, `90s`, `5m`, `1h` → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration; e.g. 90, 90s, 5m, 1h`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

/** How far ahead `--expiring` looks: `30d`, `12h`, `2w` (a bare number is days) → milliseconds. */
export function parseSpan(value: string): number {
  const m = /^(\d+)\s*(h|d|w)?$/i.exec(value.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < 1) throw new InvalidArgumentError(`"${value}" is not a span; e.g. 30d, 12h, 2w`);
  return n * { h: 3_600_000, d: 86_400_000, w: 604_800_000 }[(m[2] ?? 'd').toLowerCase() as 'h' | 'd' | 'w'];
}

/** `--renew-before P30D`: an ISO 8601 duration the API accepts, checked before anything is made. */
export function parseRenewBefore(value: string): string {
  const v = value.trim().toUpperCase();
  if (parseIsoDuration(v) === null) throw new InvalidArgumentError(`"${value}" is not ${ISO_DURATION_HINT}`);
  return v;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 1`);
  return n;
}

export function choice<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    const v = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!v) throw new InvalidArgumentError(`"${value}" is not one of ${allowed.join(', ')}`);
    return v;
  };
}

/** The API client for a command, from the global --url/--token (then environment, then config). */
export function apiFor(cmd: Command): ApiClient {
  const g = cmd.optsWithGlobals() as { url?: string; token?: string };
  return new ApiClient(resolveConnection(g));
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
