import { inboxPrefixOf, natsTarget, probeNats } from '@certflow/messaging';
import { postgresTarget, probePostgres } from '@certflow/persistence';
import { waitForDependencies, type Dependency, type WaitLogger } from './dependency.wait';
import type { StartupStatus } from './startup.status';

/** NATS (as the service's own identity) and, when its URL is given, PostgreSQL. */
export function serviceDependencies(o: { service: string; natsUrl: string; databaseUrl?: string }): Dependency[] {
  const deps: Dependency[] = [
    {
      name: 'nats',
      label: `NATS at ${natsTarget(o.natsUrl)}`,
      probe: () => probeNats({ servers: o.natsUrl, name: `certflow/${o.service}/start-up`, inboxPrefix: inboxPrefixOf(o.service) }),
    },
  ];
  const databaseUrl = o.databaseUrl;
  if (databaseUrl) deps.push({ name: 'postgres', label: `PostgreSQL at ${postgresTarget(databaseUrl)}`, probe: () => probePostgres(databaseUrl) });
  return deps;
}

/**
 * Waits until every dependency answers, then builds the app. A build that fails while a
 * dependency is down again (it went away in between: the migrations' connection refused) goes
 * back to waiting; any other failure is the caller's. A failed build may leave a connection it
 * had opened behind (Nest does not close what it half-built): one idle connection per such race.
 */
export async function buildWhenReachable<T>(deps: Dependency[], status: StartupStatus, logger: WaitLogger, build: () => Promise<T>): Promise<T> {
  for (;;) {
    await waitForDependencies(deps, { logger, status });
    status.waitingFor([]);
    try {
      return await build();
    } catch (err) {
      const down = await unreachable(deps);
      if (down.length === 0) throw err;
      logger.warn(
        { err: err instanceof Error ? err.message : String(err), waitingFor: down },
        `start-up interrupted: ${down.join(' and ')} went away while the service was starting; waiting for it again`,
      );
    }
  }
}

async function unreachable(deps: Dependency[]): Promise<string[]> {
  const reasons = await Promise.all(deps.map((d) => d.probe().catch(() => undefined)));
  return deps.filter((_, i) => reasons[i] !== undefined).map((d) => d.name);
}
