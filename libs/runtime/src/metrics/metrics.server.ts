import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { renderMetrics } from './process.metrics';
import type { DependencyChecks } from './readiness';
import type { StartingReport } from '../startup/startup.status';

export interface MetricsServerOptions {
  port: number;
  /** Loopback by default: metrics and readiness are for the machine's Prometheus and supervisor. */
  host?: string;
  /** Readiness: which dependencies answer now. */
  ready: () => Promise<DependencyChecks>;
  /** While the service is still starting, what `/readyz` answers (503) instead of asking `ready`. */
  starting?: () => StartingReport | undefined;
  logger?: Logger;
}

/**
 * The small HTTP server of a service without an API: `GET /metrics` (Prometheus text), `/healthz`
 * (the process is up) and `/readyz` (200 when PostgreSQL and NATS answer, else 503 naming the one
 * that does not, or saying what the start-up still waits for). Anything else is 404. Resolves once listening; `close()` stops it.
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
    };
    const json = (status: number, body: unknown) => reply(status, 'application/json; charset=utf-8', JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { code: 'METHOD_NOT_ALLOWED', message: 'only GET is served here' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const starting = o.starting?.();
      if (starting) return json(503, starting);
      void o.ready().then(
        (checks) => {
          const ready = Object.values(checks).every(Boolean);
          json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
        },
        (err: unknown) => json(503, { status: 'not ready', error: String(err) }),
      );
      return;
    }
    if (path === '/metrics') {
      void renderMetrics().then(
        (m) => reply(200, m.contentType, m.body),
        (err: unknown) => {
          o.logger?.error({ err }, 'metrics could not be collected');
          json(500, { code: 'METRICS_FAILED', message: 'collecting metrics failed; see the service log' });
        },
      );
      return;
    }
    json(404, { code: 'NOT_FOUND', message: 'served here: /metrics, /healthz, /readyz' });
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    server,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
