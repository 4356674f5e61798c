import { ConnectionError, TimeoutError } from '@nats-io/nats-core';
import { connectNats, type NatsConnectOptions } from './nats.connection';

/** How long one probe may take before the server counts as unreachable. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Asks whether a NATS server of `opts.servers` lets this identity in, by connecting once and
 * closing. Resolves `undefined` when it does, or the reason it does not ("connection refused")
 * for an outage worth waiting out. Anything else (a refused identity, a missing seed file) throws:
 * waiting would not fix it.
 */
export async function probeNats(opts: Omit<NatsConnectOptions, 'waitForServer'>): Promise<string | undefined> {
  try {
    const nc = await connectNats({ ...opts, timeoutMs: opts.timeoutMs ?? PROBE_TIMEOUT_MS, waitForServer: false });
    await nc.close().catch(() => undefined);
    return undefined;
  } catch (err) {
    const reason = natsOutageReason(err);
    if (reason === undefined) throw err;
    return reason;
  }
}

/**
 * The outage `err` shows (refused, timed out, reset), or undefined for anything else: the server
 * refused the identity, a seed or TLS file is missing. Only the first kind passes with time.
 */
export function natsOutageReason(err: unknown): string | undefined {
  if (!(err instanceof ConnectionError) && !(err instanceof TimeoutError)) return undefined;
  const code = (err as { cause?: { code?: unknown } }).cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

/** The server list without passwords or tokens in URLs: what a log line may show. */
export function natsTarget(servers: string): string {
  return servers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      try {
        const u = new URL(s.includes('://') ? s : `nats://${s}`);
        u.username = '';
        u.password = '';
        return u.toString().replace(/\/$/, '');
      } catch {
        return '(unparsable URL)';
      }
    })
    .join(',');
}
