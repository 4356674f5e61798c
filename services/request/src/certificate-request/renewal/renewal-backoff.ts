/** The bounds of a failed renewal's backoff (CERTFLOW_RENEWAL_RETRY_MIN_MS / _MAX_MS). */
export interface RetryBounds {
  minMs: number;
  maxMs: number;
}

/**
 * The wait before attempt `attempts + 1` of a renewal that failed `attempts` times: min × 2^(attempts−1),
 * capped at max, times a random factor in [0.5, 1.5] — certificates issued together fail together
 * (a CA down), and must not all come back to the CA in the same second. `random` in [0, 1).
 */
export function renewalBackoffMs(attempts: number, bounds: RetryBounds, random: () => number = Math.random): number {
  const base = Math.min(bounds.minMs * 2 ** Math.max(0, attempts - 1), bounds.maxMs);
  return Math.round(base * (0.5 + random()));
}
