/**
 * A map that holds at most `capacity` entries: storing one more drops the entry stored longest ago.
 * For the per-process caches of decoded certificates, keys, verdicts and recent states, which see
 * the same few CA certificates over and over and a stream of one-off leaves that must not pile up.
 * First in, first out rather than least recently used: a hit costs one lookup and no reordering.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a bounded cache needs a capacity of at least 1, not ${capacity}`);
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Stores `value` as the newest entry (a key already held moves to newest) and returns it. */
  set(key: K, value: V): V {
    if (!this.entries.delete(key) && this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
    return value;
  }

  /** The value held for `key`, or `compute()`'s, stored. `undefined` from `compute` is stored too but never hits. */
  getOrSet(key: K, compute: () => V): V {
    const hit = this.entries.get(key);
    return hit !== undefined ? hit : this.set(key, compute());
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
