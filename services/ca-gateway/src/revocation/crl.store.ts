import { insertRow, updateRow, type FactTx, type Write } from '@certflow/messaging';
import type { CaMaterial } from '@certflow/pki';
import type { RevocationReason } from '@certflow/contracts';
import { type CrlEntry, signCrl } from './crl.signer';
import { CRL } from './revocation.tables';

/** The current CRL of an issuer as stored. */
export interface StoredCrl {
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  der: Buffer;
}

/** The internal issuers' CRLs: signing the next one under the row's lock, reading the current one. */
export class CrlStore {
  constructor(private readonly validityMs: number) {}

  /**
   * The write that replaces `issuer`'s CRL with the next one (number + 1), listing every revocation
   * recorded for the internal CA plus `added` (this transaction's, not yet written). Locks the crl row
   * first: two instances signing at once take turns, and the second reads the first's number. Null
   * when the issuer has no CRL yet (the refresh job creates the first at start).
   */
  async next(tx: FactTx, issuer: string, ca: CaMaterial, now: Date, added: readonly CrlEntry[] = []): Promise<Write | null> {
    const [row] = await tx.query<{ crl_number: string }>('SELECT crl_number FROM crl WHERE issuer = $1 FOR UPDATE', [issuer]);
    if (!row) return null;
    const entries = new Map<string, CrlEntry>();
    const stored = await tx.query<{ serial: string; reason: RevocationReason; revoked_at: Date }>(
      `SELECT serial, reason, revoked_at FROM revocation WHERE issuer = $1 AND at_ca = 'crl-ocsp' ORDER BY serial`,
      [issuer],
    );
    for (const r of stored) entries.set(r.serial, { serial: r.serial, reason: r.reason, revokedAt: new Date(r.revoked_at) });
    for (const e of added) if (!entries.has(e.serial)) entries.set(e.serial, e);
    const crl = await signCrl({ ca, crlNumber: BigInt(row.crl_number) + 1n, thisUpdate: now, validityMs: this.validityMs, entries: [...entries.values()] });
    return updateRow(
      CRL,
      { issuer, crlNumber: crl.crlNumber.toString(), thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, der: crl.der.toString('base64') },
      ['crlNumber', 'thisUpdate', 'nextUpdate', 'der'],
    );
  }

  /** The first, empty CRL (number 1) of an issuer; skipped when another instance made it first. */
  async first(issuer: string, ca: CaMaterial, now: Date): Promise<Write> {
    const crl = await signCrl({ ca, crlNumber: 1n, thisUpdate: now, validityMs: this.validityMs, entries: [] });
    return insertRow(
      CRL,
      { issuer, crlNumber: '1', thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, der: crl.der.toString('base64') },
      { ifExists: 'skip' },
    );
  }

  /** The current CRL of `issuer`, or null before the first. */
  async current(query: (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>, issuer: string): Promise<StoredCrl | null> {
    const [row] = await query('SELECT crl_number, this_update, next_update, der FROM crl WHERE issuer = $1', [issuer]);
    if (!row) return null;
    return {
      crlNumber: BigInt(row.crl_number as string),
      thisUpdate: new Date(row.this_update as string),
      nextUpdate: new Date(row.next_update as string),
      der: Buffer.from(row.der as string, 'base64'),
    };
  }
}
