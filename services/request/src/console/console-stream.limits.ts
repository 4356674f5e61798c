/** The caps on live event streams of one request-service instance (CERTFLOW_SSE_MAX_PER_TOKEN, CERTFLOW_SSE_MAX_STREAMS). */
export interface StreamLimits {
  perToken: number;
  total: number;
}

/** Which cap a refused stream would have passed. */
export type StreamRefusal = { limit: 'per_token' | 'total'; max: number };

/**
 * Counts open streams per token key and in total, and refuses one past either cap. Pure
 * bookkeeping: whoever acquires releases exactly once (the registry ties that to the socket's close).
 */
export class StreamCounts {
  private readonly perKey = new Map<string, number>();
  private open = 0;

  constructor(private readonly limits: StreamLimits) {}

  /** Takes a slot for `key`; null when taken, else the cap that refused it (nothing taken then). */
  tryAcquire(key: string): StreamRefusal | null {
    const mine = this.perKey.get(key) ?? 0;
    if (mine >= this.limits.perToken) return { limit: 'per_token', max: this.limits.perToken };
    if (this.open >= this.limits.total) return { limit: 'total', max: this.limits.total };
    this.perKey.set(key, mine + 1);
    this.open++;
    return null;
  }

  /** Gives back a slot of `key`; a release without an acquire changes nothing. */
  release(key: string): void {
    const mine = this.perKey.get(key) ?? 0;
    if (mine === 0) return;
    if (mine === 1) this.perKey.delete(key);
    else this.perKey.set(key, mine - 1);
    this.open--;
  }

  /** Streams open for `key`. */
  countFor(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  /** Streams open in total. */
  get size(): number {
    return this.open;
  }
}
