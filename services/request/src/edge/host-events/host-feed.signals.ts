/**
 * Wakes the host feed's long-polls in this process when a host's feed grows (GET
 * /api/v1/hosts/{host}/events?wait=): a waiter registers for its host before it reads, and the
 * store's `announce` after a commit wakes it. With several instances the growth may happen in
 * another one; the wait then times out and the poll reads again.
 */
export class HostFeedSignals {
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
