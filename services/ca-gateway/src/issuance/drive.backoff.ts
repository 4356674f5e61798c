/** How the order poller spaces out retries after transient CA failures. */
export interface BackoffPolicy {
  /** First delay after a failure. */
  readonly baseMs: number;
  /** Longest delay between two attempts (a CA's Retry-After may ask for longer). */
  readonly maxMs: number;
  /** After this long pending with the CA failing, the request fails with `CaUnreachable`. */
  readonly giveUpMs: number;
}

/**
 * Delay before attempt `attempts + 1`: exponential from `baseMs`, capped at `maxMs`, with jitter
 * (half to full) so many requests failing together do not come back together; never sooner than the
 * CA's Retry-After.
 */
export function nextDelayMs(attempts: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempts, 0), 30));
  const jittered = Math.round(exp / 2 + (random() * exp) / 2);
  return Math.max(retryAfterMs ?? 0, jittered);
}

/** Whether a request pending since `since` has waited on a failing CA for too long. */
export function shouldGiveUp(since: Date, now: Date, policy: BackoffPolicy): boolean {
  return now.getTime() - since.getTime() >= policy.giveUpMs;
}
