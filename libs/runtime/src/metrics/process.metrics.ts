import { collectDefaultMetrics, register, type Registry } from 'prom-client';

/**
 * The process's metrics registry: prom-client's default one, shared by every library in the process
 * (libs/messaging registers its consumer and outbox metrics there too), so one scrape shows all.
 * `service` is a label on every series, so several services can share one Prometheus job.
 */
export const metricsRegistry: Registry = register;

let started = false;

/** Labels every series with the service and adds Node's process metrics (CPU, memory, GC, event loop). Once per process. */
export function startProcessMetrics(service: string): Registry {
  if (started) return metricsRegistry;
  started = true;
  metricsRegistry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: metricsRegistry });
  return metricsRegistry;
}

/** The exposition text and its content type, for a `/metrics` handler. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}
