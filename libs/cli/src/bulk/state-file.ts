import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file';

/** What a bulk run knows about one host. */
export interface HostState {
  /** Set when the record is kept by another key than the host (bulk revoke: by thumbprint). */
  host?: string;
  requestId?: string;
  state?: string;
  thumbprint?: string;
  /** The Idempotency-Key the submission used: a retry after a crash returns the same request. */
  idempotencyKey?: string;
  error?: { code: string; message: string };
  filesWritten?: boolean;
  updatedAt: string;
}

export interface BulkState {
  version: 1;
  inventory: string;
  url: string;
  hosts: Record<string, HostState>;
}

/** `<inventory>.certflow-state.json` unless given. */
export function defaultStatePath(inventoryPath: string): string {
  return `${inventoryPath}.certflow-state.json`;
}

/**
 * The resumable record of a bulk run. Every change is written at once, atomically, so a run
 * killed at any point leaves a file the next run can use. Writes are serialized.
 */
export class StateFile {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly data: BulkState,
  ) {}

  static open(path: string, init: { inventory: string; url: string }): StateFile {
    if (existsSync(path)) {
      let parsed: BulkState;
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8')) as BulkState;
      } catch {
        throw new Error(`${path} is not a certflow state file (invalid JSON); move it away to start over`);
      }
      if (parsed?.version !== 1 || typeof parsed.hosts !== 'object') throw new Error(`${path} is not a certflow state file (version ${String(parsed?.version)})`);
      return new StateFile(path, parsed);
    }
    return new StateFile(path, { version: 1, inventory: init.inventory, url: init.url, hosts: {} });
  }

  get(host: string): HostState | undefined {
    return this.data.hosts[host];
  }

  /** Merges `patch` into the host's record and persists it. */
  async update(host: string, patch: Partial<HostState>): Promise<void> {
    this.data.hosts[host] = { ...this.data.hosts[host], ...patch, updatedAt: new Date().toISOString() };
    await this.flush();
  }

  /** As `update` for many hosts, persisted once: a batch of a thousand answers is one write, not a thousand. */
  async updateMany(patches: Iterable<[string, Partial<HostState>]>): Promise<void> {
    const at = new Date().toISOString();
    for (const [host, patch] of patches) this.data.hosts[host] = { ...this.data.hosts[host], ...patch, updatedAt: at };
    await this.flush();
  }

  flush(): Promise<void> {
    const next = this.chain.then(() => {
      writeFileAtomic(this.path, JSON.stringify(this.data, null, 2) + '\n', { mode: 0o644 });
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
