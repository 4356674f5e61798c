import type { DataSource, EntityManager } from 'typeorm';
import { createEvent, IssuerCaPublishedV1 } from '@certflow/contracts';
import { enqueue } from '@certflow/messaging';
import { CaMaterialOrmEntity } from './ca-material.orm-entity';
import type { InternalCaKeys, InternalCaRecord } from './internal-ca.material';
import type { InternalCaStore } from './internal-ca.store';

/**
 * First key of the advisory lock taken while creating a CA ('camt'); the second is the hash of the
 * issuer name. Held for the creating transaction only.
 */
const CA_CREATION_LOCK_NAMESPACE = 0x63616d74;

function toRecord(row: CaMaterialOrmEntity): InternalCaRecord {
  return {
    issuer: row.issuer,
    rootPem: row.rootPem,
    rootKey: row.rootKey,
    intermediatePem: row.intermediatePem,
    intermediateKey: row.intermediateKey,
    createdAt: row.createdAt,
  };
}

/**
 * The internal CA in table `ca_material`. Creation runs under a transaction-scoped advisory lock, so
 * two gateway instances starting together on an empty database create one CA, not two; in the same
 * transaction the CA is published (IssuerCaPublishedV1, through the outbox), so trust-validation
 * learns the root even if it starts later.
 */
export class PgInternalCaStore implements InternalCaStore {
  constructor(
    private readonly ds: DataSource,
    /** Called after a commit that enqueued events (relay.kick). */
    private readonly afterPublish: () => void = () => undefined,
  ) {}

  async loadOrCreate(issuer: string, create: () => Promise<InternalCaRecord>): Promise<InternalCaRecord> {
    const existing = await this.find(this.ds.manager, issuer);
    if (existing) return existing;

    let created = false;
    const record = await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CA_CREATION_LOCK_NAMESPACE, `ca_material:${issuer}`]);
      // Another instance may have created it while this one waited for the lock.
      const raced = await this.find(m, issuer);
      if (raced) return raced;
      const fresh = await create();
      await m.getRepository(CaMaterialOrmEntity).insert({ ...fresh, issuer });
      await enqueue(
        m,
        createEvent(
          IssuerCaPublishedV1,
          { issuer, roots: [fresh.rootPem], intermediates: [fresh.intermediatePem] },
          { source: 'certflow/ca-gateway', subject: issuer, time: fresh.createdAt },
        ),
      );
      created = true;
      return { ...fresh, issuer };
    });
    if (created) this.afterPublish();
    return record;
  }

  async replaceKeys(issuer: string, from: InternalCaKeys, to: InternalCaKeys): Promise<void> {
    await this.ds.query(
      `UPDATE ca_material SET root_key = $4, intermediate_key = $5
        WHERE issuer = $1 AND root_key = $2 AND intermediate_key = $3`,
      [issuer, from.rootKey, from.intermediateKey, to.rootKey, to.intermediateKey],
    );
  }

  private async find(m: EntityManager, issuer: string): Promise<InternalCaRecord | null> {
    const row = await m.getRepository(CaMaterialOrmEntity).findOneBy({ issuer });
    return row ? toRecord(row) : null;
  }
}
