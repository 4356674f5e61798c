import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StartupStatus } from './startup.status';

/** A listening placeholder; `close()` frees the port for the real app. */
export interface StartingServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Holds a service's HTTP port while the service waits for NATS and PostgreSQL and builds its app,
 * so a supervisor sees a live process that is not ready yet instead of a refused port:
 * `/healthz` 200, `/readyz` 503 `{status:'starting', waitingFor, checks}`, anything else 503
 * `SERVICE_UNAVAILABLE` with `Retry-After`. Closed right before the app listens on the same port.
 */
export async function startStartingServer(o: { port: number; host: string; status: StartupStatus }): Promise<StartingServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const report = o.status.report() ?? { status: 'starting', waitingFor: [], checks: {} };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      // No keep-alive: a client must not stay attached to the placeholder once the app takes the port.
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close', ...headers });
      res.end(JSON.stringify(body));
    };
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') return json(503, report);
    const waiting = report.waitingFor.length ? `waiting for ${report.waitingFor.join(' and ')}` : 'connecting';
    json(503, { error: { code: 'SERVICE_UNAVAILABLE', message: `the service is starting (${waiting}); retry shortly`, details: report } }, { 'retry-after': '2' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
