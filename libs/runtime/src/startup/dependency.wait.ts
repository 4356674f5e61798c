import type { StartupStatus } from './startup.status';

/** Something a service cannot start without, and how to ask whether it answers. */
export interface Dependency {
  /** Short name, as `/readyz` lists it in `waitingFor`: 'nats', 'postgres'. */
  name: string;
  /** What and where, for log lines: 'NATS at nats://127.0.0.1:4222'. */
  label: string;
  /**
   * Resolves undefined when the dependency answers, or the reason it does not when waiting may
   * help (refused, timed out). Throws when waiting cannot help (a refused login).
   */
  probe(): Promise<string | undefined>;
}

export interface WaitLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WaitOptions {
  logger: WaitLogger;
  status?: StartupStatus;
  /** First pause between checks; doubled after each one, up to `maxDelayMs`. Default 250 ms. */
  initialDelayMs?: number;
  /** Default 5 s. */
  maxDelayMs?: number;
  /** A dependency still down for the same reason is mentioned again after this long. Default 30 s. */
  repeatLogMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Checks every dependency until all answer at once, pausing with capped exponential backoff in
 * between, and never gives up: an outage at start is waited out, not turned into an exit that
 * takes a supervisor (or `npm start`) down with it. Logs one line when a dependency is first
 * found down or its reason changes, again every `repeatLogMs`, and one when it comes back, not
 * one per check. A probe that throws ends the wait with its error.
 */
export async function waitForDependencies(deps: Dependency[], o: WaitOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxDelay = o.maxDelayMs ?? 5_000;
  const repeat = o.repeatLogMs ?? 30_000;
  let delay = o.initialDelayMs ?? 250;
  const downSince = new Map<string, number>();
  const said = new Map<string, { reason: string; at: number }>();
  for (;;) {
    const results = await Promise.all(deps.map(async (d) => ({ d, reason: await d.probe() })));
    const down = results.filter((r) => r.reason !== undefined);
    o.status?.waitingFor(down.map((r) => r.d.name));
    for (const { d, reason } of results) {
      const since = downSince.get(d.name);
      if (reason !== undefined || since === undefined) continue;
      o.logger.info({ dependency: d.name, waitedMs: now() - since }, `${d.label} answers after ${seconds(now() - since)}`);
      downSince.delete(d.name);
      said.delete(d.name);
    }
    if (down.length === 0) return;
    for (const { d, reason } of down) {
      const at = now();
      if (!downSince.has(d.name)) downSince.set(d.name, at);
      const last = said.get(d.name);
      if (last && last.reason === reason && at - last.at < repeat) continue;
      said.set(d.name, { reason: reason!, at });
      const waited = at - downSince.get(d.name)!;
      o.logger.warn(
        { dependency: d.name, reason, retryInMs: delay, waitedMs: waited },
        `waiting for ${d.label} (${reason}); retrying in ${seconds(delay)}${waited > 0 ? `, waited ${seconds(waited)} so far` : ''}`,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, maxDelay);
  }
}

function seconds(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
