import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateAssignedV1, CertificateExpiredV1, CertificateExpiringV1, CertificateRenewalDueV1, CertificateUnassignedV1, normalizeHost, parseEvent } from '@certflow/contracts';
import type { ApiClient } from '../api-client';
import { writeFileAtomic } from '../atomic-file';
import { CliError, EXIT } from '../exit-codes';
import { installAssignment, removeReleased, type AgentOptions } from './agent';
import { AgentRenewals } from './agent-renewals';

/** How long one call waits on the server for an event (the API allows up to 60 s). */
export const LONG_POLL_SECONDS = 20;
/** Back-off while the API is unreachable or failing: doubles from the first to the last, then stays. */
export const RETRY_DELAYS_MS = { first: 1_000, max: 30_000 };

/** The agent's durable cursor: where it is in its host's feed. Kept in `<dir>/.certflow-cursor.json`. */
interface CursorFile {
  host: string;
  after: string;
}

export function cursorPath(dir: string): string {
  return join(dir, '.certflow-cursor.json');
}

/** The saved cursor for `host`, or "0" (from the first event) when there is none or it is another host's. */
export function readCursor(dir: string, host: string): string {
  try {
    const c = JSON.parse(readFileSync(cursorPath(dir), 'utf8')) as Partial<CursorFile>;
    if (c.host === host && typeof c.after === 'string' && /^\d+$/.test(c.after)) return c.after;
  } catch {
    /* none yet, or unreadable: start from the beginning; installing is idempotent */
  }
  return '0';
}

function saveCursor(dir: string, host: string, after: string): void {
  writeFileAtomic(cursorPath(dir), JSON.stringify({ host, after } satisfies CursorFile) + '\n', { mode: 0o600 });
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Refusals that waiting will not cure: a missing, revoked or too narrow token. */
function fatal(e: unknown): boolean {
  return e instanceof CliError && e.exitCode === EXIT.AUTH;
}

/**
 * The fleet agent: follows GET /api/v1/hosts/{host}/events with its `agent` token, from the cursor
 * saved in its directory, so assignments made while it was down are installed when it comes back.
 * Events are handled one at a time, in order; the cursor moves past one only after its files are
 * written. While the API is unreachable or failing it logs and retries with back-off; a refused
 * token ends it (exit code of the API error).
 */
export async function runAgent(api: ApiClient, o: AgentOptions): Promise<void> {
  const log = o.log ?? (() => undefined);
  const host = normalizeHost(o.host);
  mkdirSync(o.dir, { recursive: true, mode: 0o755 });
  let after = readCursor(o.dir, host);
  log(`agent for ${host}: following ${api.url}/api/v1/hosts/${host}/events from cursor ${after}, files under ${o.dir}`);
  const now = o.now ?? Date.now;
  const renewals = new AgentRenewals(api, { host, dir: o.dir, log, now, random: o.random ?? Math.random });
  let delay = RETRY_DELAYS_MS.first;
  let ready = false;
  while (!o.signal?.aborted) {
    await renewals.runDue();
    let page: { items: unknown[]; nextCursor: string };
    try {
      // Catch up without waiting; wait on the server only once there is nothing left, and not past a renewal's next step.
      const next = renewals.nextAt();
      const wait = next === undefined ? LONG_POLL_SECONDS : Math.max(0, Math.min(LONG_POLL_SECONDS, Math.ceil((next - now()) / 1000)));
      page = await api.hostEvents(host, after, ready && !o.once ? wait : 0, o.signal);
    } catch (e) {
      if (o.signal?.aborted) return;
      if (fatal(e)) throw e;
      log(`cannot read the events (${(e as Error).message}); retrying in ${Math.round(delay / 1000)} s`);
      await sleep(delay, o.signal);
      delay = Math.min(delay * 2, RETRY_DELAYS_MS.max);
      continue;
    }
    delay = RETRY_DELAYS_MS.first;
    for (const raw of page.items) {
      // Positions are 1, 2, 3… per host, never skipped: each event of the page is the one after the cursor.
      const position = Number(after) + 1;
      const installed = await handle({ ...o, host }, renewals, position, raw, log).catch((e: Error) => {
        log(`could not install event ${position}: ${e.message}; retrying in ${Math.round(delay / 1000)} s`);
        return false;
      });
      if (!installed) break;
      after = String(position);
      saveCursor(o.dir, host, after);
    }
    // An event could not be installed: try it again later rather than skip it.
    if (page.items.length > 0 && after !== page.nextCursor) {
      await sleep(delay, o.signal);
      delay = Math.min(delay * 2, RETRY_DELAYS_MS.max);
      continue;
    }
    if (page.items.length === 0) {
      if (o.once) return void (await renewals.runDue());
      if (!ready) log('ready');
      ready = true;
    }
  }
}

/**
 * Acts on one event of the feed; false only when it must be tried again. An assignment is
 * installed; a renewal-due is recorded (the renewal itself runs beside the feed, retried on its
 * own, so a CA that is down does not hold up installing); a release for revocation or lost trust
 * removes the files. Other types are passed over.
 */
async function handle(o: AgentOptions, renewals: AgentRenewals, position: number, raw: unknown, log: (l: string) => void): Promise<boolean> {
  const type = (raw as { type?: unknown } | null)?.type;
  if (type === CertificateRenewalDueV1.subject) {
    try {
      renewals.noteDue(parseEvent(CertificateRenewalDueV1, raw).data);
    } catch (e) {
      log(`event ${position} is not a valid ${CertificateRenewalDueV1.subject} event, skipped: ${(e as Error).message}`);
    }
    return true;
  }
  if (type === CertificateExpiringV1.subject || type === CertificateExpiredV1.subject) {
    // Said in the log for whoever reads it on the host; the renewal (or its retries) is what acts.
    let e;
    try {
      e = type === CertificateExpiringV1.subject ? parseEvent(CertificateExpiringV1, raw) : parseEvent(CertificateExpiredV1, raw);
    } catch (err) {
      log(`event ${position} is not a valid ${String(type)} event, skipped: ${(err as Error).message}`);
      return true;
    }
    const left = 'daysLeft' in e.data ? `expires in ${e.data.daysLeft} day${e.data.daysLeft === 1 ? '' : 's'}` : 'has EXPIRED';
    log(`certificate ${e.data.thumbprint} of request ${e.data.requestId} (${e.data.usages.join(', ')}) ${left} (notAfter ${e.data.notAfter})`);
    return true;
  }
  if (type === CertificateUnassignedV1.subject) {
    let u;
    try {
      u = parseEvent(CertificateUnassignedV1, raw);
    } catch (e) {
      log(`event ${position} is not a valid ${CertificateUnassignedV1.subject} event, skipped: ${(e as Error).message}`);
      return true;
    }
    // `replaced`: the certificate that took over was installed by its own assigned event, just before.
    if (u.data.reason === 'replaced' || normalizeHost(u.data.host) !== o.host) return true;
    log(`certificate ${u.data.thumbprint} of request ${u.data.requestId} was released (${u.data.reason}) for ${u.data.usages.join(', ')}`);
    await removeReleased(o, position, u.data);
    return true;
  }
  if (type !== CertificateAssignedV1.subject) return true;
  let event;
  try {
    event = parseEvent(CertificateAssignedV1, raw);
  } catch (e) {
    log(`event ${position} is not a valid ${CertificateAssignedV1.subject} event, skipped: ${(e as Error).message}`);
    return true;
  }
  if (normalizeHost(event.data.host) !== o.host) return true;
  await installAssignment(o, position, event.data);
  return true;
}
