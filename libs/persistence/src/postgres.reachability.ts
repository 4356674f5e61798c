import { Client } from 'pg';
import { redactUrl } from './database.provisioner';

/** SQLSTATEs with which a server that is up says "not now": starting, shutting down, too many clients. */
const NOT_NOW = new Set(['57P01', '57P02', '57P03', '53300']);

/** How long one probe may take before the server counts as unreachable. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Asks whether the PostgreSQL server of `url` answers. Resolves `undefined` when it does, or the
 * reason it does not ("connection refused", "the database system is starting up") for an outage
 * worth waiting out. Any other answer from the server (the database does not exist yet, a wrong
 * password) counts as reachable: waiting would not fix it, and opening the database reports it
 * in its own words.
 */
export async function probePostgres(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A server that goes away mid-probe emits 'error' on the client; the connect promise reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return undefined;
  } catch (err) {
    return postgresOutageReason(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The outage `err` shows (server down, unreachable, starting), or undefined when the server answered. */
export function postgresOutageReason(err: unknown): string | undefined {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; errors?: { code?: unknown }[] };
  // Node reports "localhost" tried over IPv4 and IPv6 as one AggregateError.
  const code = typeof e.code === 'string' ? e.code : typeof e.errors?.[0]?.code === 'string' ? (e.errors[0].code as string) : undefined;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  if (code && NOT_NOW.has(code)) return message;
  // A five-character SQLSTATE means a PostgreSQL server answered.
  if (code && /^[0-9A-Z]{5}$/.test(code)) return undefined;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code) return `${code}${message && !message.includes(code) ? `: ${message}` : ''}`;
  // pg's own words for a socket that closed or timed out before the server said anything.
  return message;
}

/** Where a probe goes, without the password: what a log line may show. */
export function postgresTarget(url: string): string {
  return redactUrl(url);
}
