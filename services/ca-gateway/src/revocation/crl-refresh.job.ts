import type { FactTx, ScheduledJob, ScheduledWork, Write } from '@certflow/messaging';
import type { CaMaterial } from '@certflow/pki';
import type { CrlStore } from './crl.store';

/**
 * Keeps each internal issuer's CRL current: creates the first (empty) one, and re-signs a CRL once
 * less than half of its validity is left, so a relying party that caches it until nextUpdate always
 * finds a fresher one well before then. Revocations re-sign at once (OnRevocationRequestedConsumer).
 */
export class CrlRefreshJob implements ScheduledJob {
  readonly name = 'ca-gateway.crl-refresh';

  constructor(
    private readonly crls: CrlStore,
    /** The internal issuers this gateway serves, with the issuing CA that signs their CRLs. */
    private readonly signers: () => ReadonlyMap<string, CaMaterial>,
  ) {}

  async due(tx: FactTx, now: Date, limit: number): Promise<ScheduledWork> {
    const signers = this.signers();
    const issuers = [...signers.keys()].sort();
    if (issuers.length === 0) return { writes: [], publish: [], taken: 0 };
    const writes: Write[] = [];
    const existing = new Set((await tx.query<{ issuer: string }>('SELECT issuer FROM crl WHERE issuer = ANY ($1)', [issuers])).map((r) => r.issuer));
    for (const issuer of issuers) if (!existing.has(issuer)) writes.push(await this.crls.first(issuer, signers.get(issuer)!, now));
    const due = await tx.query<{ issuer: string }>(
      `SELECT issuer FROM crl
        WHERE issuer = ANY ($1) AND this_update + (next_update - this_update) / 2 <= $2
        ORDER BY issuer LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [issuers, now, limit],
    );
    for (const { issuer } of due) {
      const write = await this.crls.next(tx, issuer, signers.get(issuer)!, now);
      if (write) writes.push(write);
    }
    return { writes, publish: [], taken: due.length };
  }
}
