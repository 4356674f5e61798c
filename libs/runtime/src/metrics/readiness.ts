import type { NatsConnection } from '@certflow/messaging';
import type { DataSource } from 'typeorm';

/** How long one dependency may take to answer before it counts as down. */
const CHECK_TIMEOUT_MS = 1_000;

/** Each dependency a service needs to do its work, and whether it answered. */
export interface DependencyChecks {
  postgres: boolean;
  nats: boolean;
}

/**
 * Pings PostgreSQL (`SELECT 1`) and NATS (a PING/PONG round trip, so a connection that is only
 * reconnecting counts as down) at once, each within one second.
 */
export async function checkDependencies(ds: DataSource, nc: NatsConnection, timeoutMs = CHECK_TIMEOUT_MS): Promise<DependencyChecks> {
  const [postgres, nats] = await Promise.all([
    answers(() => ds.query('SELECT 1'), timeoutMs),
    answers(() => (nc.isClosed() ? Promise.reject(new Error('closed')) : nc.flush()), timeoutMs),
  ]);
  return { postgres, nats };
}

async function answers(ping: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
