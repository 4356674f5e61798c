import type { InternalCaKeys, InternalCaRecord } from './internal-ca.material';

/** Where the internal CA's record lives (PostgreSQL in the service, memory in unit specs). */
export interface InternalCaStore {
  /**
   * The stored record of `issuer`; when there is none, `create` makes one and it is stored and
   * published as the issuer's CA. Exactly one record results even when several gateway instances
   * start at once: the losers get the winner's record.
   */
  loadOrCreate(issuer: string, create: () => Promise<InternalCaRecord>): Promise<InternalCaRecord>;

  /**
   * Replaces the key blobs `from` with `to` (the same keys in the current blob format). Nothing
   * happens when the stored blobs are no longer `from` (another instance rewrote them first).
   */
  replaceKeys(issuer: string, from: InternalCaKeys, to: InternalCaKeys): Promise<void>;
}
