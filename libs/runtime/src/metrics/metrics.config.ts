import { z } from 'zod';

/** Where each service without an HTTP API serves /metrics, /healthz and /readyz unless told otherwise. */
export const DEFAULT_METRICS_PORTS: Readonly<Record<string, number>> = {
  'ca-gateway': 9464,
  'trust-validation': 9465,
  assignment: 9466,
};

const PORT = 'must be a TCP port (1-65535), or 0 to serve no metrics';

/** Part of BaseConfigSchema: `CERTFLOW_METRICS_PORT` (per-service default, 0 = off) and `CERTFLOW_METRICS_HOST`. */
export const MetricsConfigShape = {
  CERTFLOW_METRICS_PORT: z.coerce.number({ error: PORT }).int(PORT).min(0, PORT).max(65535, PORT).optional(),
  CERTFLOW_METRICS_HOST: z.string().min(1, 'must be an address to bind, e.g. 127.0.0.1').default('127.0.0.1'),
};
const MetricsConfigSchema = z.object(MetricsConfigShape);

/** The metrics port of `service` (0: none), from the environment or its default. */
export function metricsListenOf(service: string, env: NodeJS.ProcessEnv = process.env): { port: number; host: string } {
  const parsed = MetricsConfigSchema.safeParse(env);
  // The service's own config schema already refused a bad value at start; this only reads it.
  const port = parsed.success ? parsed.data.CERTFLOW_METRICS_PORT : undefined;
  return { port: port ?? DEFAULT_METRICS_PORTS[service] ?? 0, host: parsed.success ? parsed.data.CERTFLOW_METRICS_HOST : '127.0.0.1' };
}
