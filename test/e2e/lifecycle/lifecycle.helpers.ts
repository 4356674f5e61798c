/**
 * Helpers for the lifecycle e2e tests (issue #18): a clock every service process reads
 * (CERTFLOW_CLOCK_FILE, libs/runtime clock.provider) moved forward by the test, and the lifecycle
 * events of one request as stream CERTFLOW holds them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Certflow } from '../harness';
import { readStream, type StoredMessage } from '../seed-flow.helpers';

export const DAY_S = 86_400;

/** A shifted clock for the service processes: `env` goes into startCertflow, `set(days)` moves it. */
export function sharedClock(): { env: Record<string, string>; set(days: number): void } {
  const file = join(mkdtempSync(join(tmpdir(), 'certflow-clock-')), 'offset-seconds');
  writeFileSync(file, '0');
  return {
    env: { CERTFLOW_CLOCK_FILE: file },
    set: (days: number) => writeFileSync(file, String(Math.round(days * DAY_S))),
  };
}

/** The lifecycle events (certflow.certificate.*) stored for one request, oldest first. */
export async function certificateEvents(cf: Certflow, requestId: string): Promise<StoredMessage[]> {
  return (await readStream(cf, 'certflow.certificate.>')).filter((m) => m.body?.data?.requestId === requestId);
}

/** Short subject names of `events`: `expiring(14)`, `renewal-due`, … */
export function eventNames(events: StoredMessage[]): string[] {
  return events.map((m) => {
    const name = m.subject.replace(/^certflow\.certificate\./, '').replace(/\.v1$/, '');
    return name === 'expiring' ? `expiring(${m.body.data.threshold})` : name;
  });
}

/** Polls until `check` holds (then returns its value) or throws with `explain()` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, explain?: () => Promise<string> | string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${explain ? `\n${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Watches a host's bindings while something happens: every `everyMs` it reads the host's
 * assignments and records any moment a usage had no certificate. `stop()` returns what it saw.
 */
export function watchBindings(cf: Certflow, host: string, usages: string[], everyMs = 40): { stop(): Promise<{ reads: number; gaps: string[]; thumbprints: Set<string> }> } {
  let running = true;
  const gaps: string[] = [];
  const thumbprints = new Set<string>();
  let reads = 0;
  const loop = (async () => {
    while (running) {
      const r = await cf.api(`/api/v1/hosts/${host}/assignments`).catch((err: Error) => ({ status: 0, body: { error: err.message } }) as { status: number; body: any });
      reads++;
      for (const u of usages) {
        const t = r.body?.usages?.[u]?.thumbprint;
        if (!t) gaps.push(`${new Date().toISOString()} ${u} unbound (status ${r.status})`);
        else thumbprints.add(t);
      }
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { reads, gaps, thumbprints };
    },
  };
}
