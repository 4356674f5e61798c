// Starts the four certflow services as child processes and stops them cleanly.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './infra.mjs';

export const SERVICES = ['trust-validation', 'assignment', 'ca-gateway', 'request'];

/** The services without HTTP serve /metrics, /healthz, /readyz on their own port (libs/runtime metrics.config). */
const METRICS_PORTS = { 'ca-gateway': 9464, 'trust-validation': 9465, assignment: 9466 };

/**
 * Each service's metrics port. CERTFLOW_METRICS_PORT is read per process, so here, where all share
 * one environment, a value set means "start here": ca-gateway P, trust-validation P+1, assignment
 * P+2 (0 turns metrics off for all).
 */
export function metricsPortOf(name, env = process.env) {
  if (!(name in METRICS_PORTS)) return undefined;
  const first = env.CERTFLOW_METRICS_PORT;
  if (first === undefined || first === '') return METRICS_PORTS[name];
  const p = Number(first);
  return p === 0 ? 0 : p + METRICS_PORTS[name] - METRICS_PORTS['ca-gateway'];
}

function withMetricsPort(name, env) {
  const port = metricsPortOf(name, env);
  return port === undefined ? env : { ...env, CERTFLOW_METRICS_PORT: String(port) };
}

/** Where Prometheus scrapes each service: request on its API port, the others on their metrics port. */
export function metricsUrls(apiBase, env = process.env) {
  const host = env.CERTFLOW_METRICS_HOST ?? '127.0.0.1';
  const urls = { request: `${apiBase}/metrics` };
  for (const name of Object.keys(METRICS_PORTS)) {
    const port = metricsPortOf(name, env);
    if (port) urls[name] = `http://${host}:${port}/metrics`;
  }
  return urls;
}

/**
 * Spawns every service with `envOf(name)` (each its own NATS identity, secrets only where used). `onLine(service, line)` receives their output (JSON log lines);
 * returns a handle whose stop() sends SIGTERM and waits for all to exit (SIGKILL after `graceMs`).
 */
export function startServices(envOf, onLine, services = SERVICES) {
  const children = new Map();
  for (const name of services) {
    const child = spawn(process.execPath, [join(ROOT, 'services', name, 'dist', 'main.js')], {
      cwd: ROOT,
      env: withMetricsPort(name, envOf(name)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(name, child);
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.on('data', (d) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(name, buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
  }
  return {
    children,
    async stop(graceMs = 10_000) {
      await Promise.all(
        [...children.values()].map(
          (c) =>
            new Promise((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
              c.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

export async function waitReady(baseUrl, seconds, isAlive = () => true) {
  let last = null;
  for (let i = 0; i < seconds * 4; i++) {
    if (!isAlive()) return { ready: false, last };
    try {
      const r = await fetch(`${baseUrl}/readyz`);
      last = await r.json();
      if (r.ok) return { ready: true, last };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ready: false, last };
}
