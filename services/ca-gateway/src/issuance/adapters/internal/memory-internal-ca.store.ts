import type { InternalCaKeys, InternalCaRecord } from './internal-ca.material';
import type { InternalCaStore } from './internal-ca.store';

/** Keeps records in memory, as the PostgreSQL store keeps them in ca_material (unit specs). */
export class MemoryInternalCaStore implements InternalCaStore {
  readonly records = new Map<string, InternalCaRecord>();
  creations = 0;
  rewrites = 0;

  async loadOrCreate(issuer: string, create: () => Promise<InternalCaRecord>): Promise<InternalCaRecord> {
    const found = this.records.get(issuer);
    if (found) return found;
    this.creations++;
    const record = await create();
    this.records.set(issuer, record);
    return record;
  }

  async replaceKeys(issuer: string, from: InternalCaKeys, to: InternalCaKeys): Promise<void> {
    const found = this.records.get(issuer);
    if (!found || found.rootKey !== from.rootKey || found.intermediateKey !== from.intermediateKey) return;
    this.rewrites++;
    this.records.set(issuer, { ...found, ...to });
  }
}
