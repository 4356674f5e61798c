import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeHost, type CertificateRenewalDueV1, type EventData, type RequestView } from '@certflow/contracts';
import type { ApiClient } from '../api-client';
import { writeFileAtomic } from '../atomic-file';
import { CliError } from '../exit-codes';
import { submitRenewal } from '../lifecycle/renew-flow';

/** Retry of a failed renewal: base × 2^(attempts−1), capped, × a random factor in [0.5, 1.5) so a fleet renewed together spreads out. */
export const RENEWAL_RETRY_MS = { base: 30_000, max: 3_600_000 };
/** How often a submitted renewal is looked at until it is ASSIGNED (installing it comes through the feed). */
export const RENEWAL_CHECK_MS = 5_000;
/** Old requests remembered as handled, so a replayed renewal-due (cursor lost) renews nothing twice. */
const DONE_KEPT = 200;

/** One renewal the agent owes its host: the old request, and the renewal once submitted. */
export interface PendingRenewal {
  requestId: string;
  attempts: number;
  /** Epoch ms: when to submit (again) or look at the renewal next. */
  nextAt: number;
  renewalId?: string;
  lastError?: string;
}

interface RenewalsFile {
  host: string;
  pending: PendingRenewal[];
  done: string[];
}

export function renewalsPath(dir: string): string {
  return join(dir, '.certflow-renewals.json');
}

export function retryDelay(attempts: number, random: () => number): number {
  const exp = Math.min(RENEWAL_RETRY_MS.base * 2 ** Math.max(0, attempts - 1), RENEWAL_RETRY_MS.max);
  return Math.round(exp * (0.5 + random()));
}

type RenewalDue = EventData<typeof CertificateRenewalDueV1>;

/**
 * The agent's renewals, kept in `<dir>/.certflow-renewals.json` so a restart neither forgets one nor
 * starts one twice. A renewal-due counts only for this host and `rotationPolicy: "Always"` (for
 * `Never`, certflow renews by itself); each old request is renewed once.
 */
export class AgentRenewals {
  private state: RenewalsFile;

  constructor(
    private readonly api: ApiClient,
    private readonly o: { host: string; dir: string; log: (l: string) => void; now: () => number; random: () => number },
  ) {
    this.state = this.read();
  }

  private read(): RenewalsFile {
    try {
      const s = JSON.parse(readFileSync(renewalsPath(this.o.dir), 'utf8')) as RenewalsFile;
      if (s.host === this.o.host && Array.isArray(s.pending) && Array.isArray(s.done)) return s;
    } catch {
      /* none yet */
    }
    return { host: this.o.host, pending: [], done: [] };
  }

  private save(): void {
    writeFileAtomic(renewalsPath(this.o.dir), JSON.stringify(this.state, null, 2) + '\n', { mode: 0o600 });
  }

  get pending(): readonly PendingRenewal[] {
    return this.state.pending;
  }

  /** Records a renewal-due of the feed; false when it is not this agent's to act on, or already known. */
  noteDue(data: RenewalDue): boolean {
    if (normalizeHost(data.host) !== this.o.host) return false;
    if (data.rotationPolicy !== 'Always') return false;
    const id = data.requestId;
    if (this.state.done.includes(id) || this.state.pending.some((p) => p.requestId === id)) return false;
    this.state.pending.push({ requestId: id, attempts: 0, nextAt: this.o.now() });
    this.save();
    this.o.log(`renewal due for request ${id} (${data.thumbprint}, notAfter ${data.notAfter}): renewing with a new key`);
    return true;
  }

  /** Epoch ms of the next thing to do, or undefined when nothing is pending. */
  nextAt(): number | undefined {
    return this.state.pending.length ? Math.min(...this.state.pending.map((p) => p.nextAt)) : undefined;
  }

  /** Submits what is due, looks at what was submitted; never throws (a failure is retried later). */
  async runDue(): Promise<void> {
    for (const p of [...this.state.pending]) {
      if (p.nextAt > this.o.now()) continue;
      try {
        await (p.renewalId ? this.follow(p) : this.submit(p));
      } catch (e) {
        this.retry(p, (e as Error).message);
      }
      this.save();
    }
  }

  private async submit(p: PendingRenewal): Promise<void> {
    try {
      const { view, created } = await submitRenewal(this.api, p.requestId, { dir: this.o.dir, log: this.o.log });
      p.renewalId = view.id;
      p.nextAt = this.o.now() + RENEWAL_CHECK_MS;
      this.o.log(`renewal ${view.id} of ${p.requestId} ${created ? 'submitted' : 'was already open'} (${view.state})`);
    } catch (e) {
      // The old request is no longer ASSIGNED (renewed elsewhere, superseded): nothing left to do.
      if (e instanceof CliError && e.code === 'NOT_RENEWABLE') return this.finish(p, `request ${p.requestId} is not renewable any more: ${e.message}`);
      throw e;
    }
  }

  private async follow(p: PendingRenewal): Promise<void> {
    const v = (await this.api.request(p.renewalId!)) as RequestView;
    if (v.state === 'ASSIGNED' || v.state === 'SUPERSEDED') return this.finish(p, `renewal ${v.id} of ${p.requestId} is ${v.state}`);
    if (v.state === 'FAILED') {
      // The next submission starts a new renewal (a FAILED one does not count as open).
      p.renewalId = undefined;
      return this.retry(p, `renewal ${v.id} FAILED: ${v.failure?.message ?? 'no reason given'}`);
    }
    p.nextAt = this.o.now() + (v.state === 'CHAIN_INCOMPLETE' ? RENEWAL_RETRY_MS.base : RENEWAL_CHECK_MS);
  }

  private retry(p: PendingRenewal, why: string): void {
    p.attempts += 1;
    p.lastError = why;
    const delay = retryDelay(p.attempts, this.o.random);
    p.nextAt = this.o.now() + delay;
    this.o.log(`renewal of ${p.requestId} failed (attempt ${p.attempts}): ${why}; retrying in ${Math.round(delay / 1000)} s`);
  }

  private finish(p: PendingRenewal, why: string): void {
    this.state.pending = this.state.pending.filter((x) => x !== p);
    this.state.done = [...this.state.done, p.requestId].slice(-DONE_KEPT);
    this.o.log(why);
  }
}
