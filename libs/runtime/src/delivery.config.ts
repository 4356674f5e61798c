import { z } from 'zod';
import { backoffFor, DEFAULT_BACKOFF_MS, DEFAULT_MAX_DELIVER, type DeliveryPolicy, type JetStreamServerOptions } from '@certflow/messaging';

/** The JetStream transport's default backoff, as environment text. */
export const DEFAULT_RETRY_BACKOFF_MS = DEFAULT_BACKOFF_MS.join(',');
const MAX_BACKOFF_MS = 3_600_000;
const MAX_BACKOFF_STEPS = 100;

const MAX_DELIVER = 'must be a whole number of deliveries from 2 to 1000, e.g. 10';
const BACKOFF = `must be comma-separated whole milliseconds, each 1 to ${MAX_BACKOFF_MS}, e.g. ${DEFAULT_RETRY_BACKOFF_MS}`;

/**
 * Part of BaseConfigSchema: how often and how patiently every consumer of a service retries a
 * message its handler failed on, before dead-lettering it (libs/messaging delivery.policy.ts).
 */
export const DeliveryConfigShape = {
  /**
   * Deliveries of one message before it is dead-lettered. At least 2: with 1, a fact that arrives
   * before the one it depends on ("not yet", RetryLaterError) is set aside on its first delivery.
   */
  CERTFLOW_MAX_DELIVER: z.coerce
    .number({ error: MAX_DELIVER })
    .int(MAX_DELIVER)
    .min(2, 'must be at least 2 (1 would dead-letter a message the first time its handler says "not yet")')
    .max(1000, MAX_DELIVER)
    .default(DEFAULT_MAX_DELIVER),
  /** Delay before each redelivery after a failure, by delivery count; the last value repeats. */
  CERTFLOW_RETRY_BACKOFF_MS: z
    .string()
    .default(DEFAULT_RETRY_BACKOFF_MS)
    .transform((text, ctx) => {
      const parts = text.split(',').map((p) => p.trim());
      const bad = parts.find((p) => !/^\d{1,7}$/.test(p) || Number(p) < 1 || Number(p) > MAX_BACKOFF_MS);
      if (bad !== undefined || parts.length > MAX_BACKOFF_STEPS) {
        const why = bad !== undefined ? (bad === '' ? 'an entry is empty' : `"${bad.slice(0, 20)}" is not one`) : `it has ${parts.length} entries; at most ${MAX_BACKOFF_STEPS}`;
        ctx.addIssue({ code: 'custom', message: `${BACKOFF}; ${why}` });
        return z.NEVER;
      }
      return parts.map(Number);
    }),
};
const DeliveryConfigSchema = z.object(DeliveryConfigShape);

/**
 * The delivery policy of this process's consumers, from the environment or the defaults. The
 * service's own config schema has already refused a bad value at start (with every other problem);
 * this throws only for a caller that skipped that, such as a test harness.
 */
export function deliveryPolicyOf(env: NodeJS.ProcessEnv = process.env): Required<Pick<JetStreamServerOptions, 'maxDeliver' | 'backoffMs'>> {
  const parsed = DeliveryConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { maxDeliver: parsed.data.CERTFLOW_MAX_DELIVER, backoffMs: parsed.data.CERTFLOW_RETRY_BACKOFF_MS };
}

/** How long a message that keeps failing is retried, in total, before it is dead-lettered. */
export function retrySpanMs(policy: DeliveryPolicy): number {
  let span = 0;
  for (let delivery = 1; delivery < policy.maxDeliver; delivery++) span += backoffFor(policy, delivery);
  return span;
}
