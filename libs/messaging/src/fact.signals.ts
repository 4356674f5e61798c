/**
 * Tells handlers waiting in this process that something about a key (a request id) changed. Facts
 * about one request travel on separate consumers, and under load one often arrives while the fact it
 * follows is still queued in the same service (chain.complete before certificate.issued in request;
 * assignment.requested before chain.complete in assignment). Rather than hand it back to JetStream
 * with a backoff (a redelivery per request and up to seconds of latency), its handler waits for the
 * change it needs. With several instances the change may happen elsewhere; the wait then times out
 * and the usual redelivery takes over.
 */
export class FactSignals {
  private readonly waiters = new Map<string, Set<() => void>>();

  changed(id: string): void {
    const waiting = this.waiters.get(id);
    if (!waiting) return;
    this.waiters.delete(id);
    for (const wake of waiting) wake();
  }

  /** Resolves true when `id` changes in this process, false after `ms`. Register it before the check it follows. */
  wait(id: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const waiting = this.waiters.get(id);
        waiting?.delete(wake);
        if (waiting?.size === 0) this.waiters.delete(id);
        resolve(false);
      }, Math.max(0, ms));
      const waiting = this.waiters.get(id) ?? new Set<() => void>();
      waiting.add(wake);
      this.waiters.set(id, waiting);
    });
  }

  /** How many handlers wait (for tests and metrics). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
