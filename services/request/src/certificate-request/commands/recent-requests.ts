import { BoundedCache } from '@certflow/pki';
import type { RequestSnapshot } from '../domain/certificate-request.state';

/**
 * The requests this process wrote last, with the version it wrote: the next fact about a request
 * (certificate.issued, then chain.complete, then certificate.assigned) usually follows within
 * seconds, and can be decided without reading the row again. Only a hint: the write still checks
 * the version, and anything but an accepted decision is decided again from the database.
 */
export class RecentRequests {
  private readonly entries: BoundedCache<string, { request: RequestSnapshot; version: number }>;

  constructor(capacity = 10_000) {
    this.entries = new BoundedCache(capacity);
  }

  get(id: string): { request: RequestSnapshot; version: number } | undefined {
    return this.entries.get(id);
  }

  remember(request: RequestSnapshot, version: number): void {
    this.entries.set(request.id, { request, version });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
