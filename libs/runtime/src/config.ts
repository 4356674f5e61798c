import { z } from 'zod';
import { MetricsConfigShape } from './metrics/metrics.config';
import { DeliveryConfigShape } from './delivery.config';
import { NatsAuthConfigShape, natsAuthProblems } from './nats-auth.config';

/** Thrown at start when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Settings every service reads. Each one is an environment variable with a working default. */
export const BaseConfigSchema = z.object({
  NATS_URL: z.string().regex(/^(nats|tls|wss?):\/\/.+/, 'must be a URL like nats://127.0.0.1:4222').default('nats://127.0.0.1:4222'),
  ...NatsAuthConfigShape,
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+\/[^/?]+/, 'must be a URL like postgres://postgres@127.0.0.1:5432/certflow')
    .default('postgres://postgres@127.0.0.1:5432/certflow'),
  CERTFLOW_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CERTFLOW_DB_POOL: z.coerce.number().int().min(1).max(200).default(10),
  CERTFLOW_DB_GROUP: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1 (1 sends every statement alone)').max(1000, 'must be at most 1000').default(64),
  /** For tests: a file holding a number of seconds the process's clock is shifted by (see clock.provider.ts). */
  CERTFLOW_CLOCK_FILE: z.string().min(1, 'must be a file path, or unset').optional(),
  ...MetricsConfigShape,
  ...DeliveryConfigShape,
});
export type BaseConfig = z.infer<typeof BaseConfigSchema>;

/**
 * Reads and validates configuration from the environment. Every problem is reported at once, by
 * variable name, with what a valid value looks like.
 */
export function loadConfig<T extends z.ZodObject>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) {
    const problems = natsAuthProblems(result.data as Record<string, string | undefined>);
    if (problems.length > 0) throw new ConfigError(problems);
    return result.data;
  }
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`));
}
