import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { TrustUpdatedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type Verdict } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { parseCertificate } from '@certflow/pki';
import type { DataSource } from 'typeorm';
import { TrustedCertificateRow } from '../../trust-store/persistence/trusted-certificate.orm-entity';
import { BrokenChainService } from '../broken-chain.service';
import { RevalidationService } from '../revalidation.service';

export const ON_TRUST_UPDATED = 'trust-validation.on-trust-updated';

type TrustUpdated = EventData<typeof TrustUpdatedV1>;

/**
 * Re-validation after an import or a removal, driven by this service's own durable `trust.updated` event: it runs
 * after the import's commit, on one instance, and again after a crash (at least once). Idempotent:
 * only rows still incomplete and waiting on the imported issuer are touched; after a removal, only
rows still complete with the removed certificate in their path (each reported broken once).
 *
 * The re-validation runs in `prepare`, before the batch's transaction claims the event: it pages
 * through the waiting rows in short transactions of its own (with their own outbox rows), which
 * no single batch transaction could hold. A crash after it and before the claim re-delivers the
 * event, and the second run finds nothing left waiting.
 */
@Controller()
export class OnTrustUpdatedConsumer implements FactHandler<TrustUpdated> {
  readonly consumer = ON_TRUST_UPDATED;
  readonly event = TrustUpdatedV1;

  constructor(
    private readonly facts: FactProcessor,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly revalidation: RevalidationService,
    private readonly brokenChains: BrokenChainService,
  ) {}

  @FactPattern(TrustUpdatedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async prepare(facts: readonly Fact<TrustUpdated>[]): Promise<undefined[]> {
    const imported = [...new Set(facts.filter((f) => f.event.data.action === 'imported').map((f) => f.event.data.thumbprint))];
    if (imported.length > 0) {
      // Removed again since: nothing to re-validate against.
      const rows = await this.ds.getRepository(TrustedCertificateRow).find({ where: imported.map((thumbprint) => ({ thumbprint })) });
      if (rows.length > 0) await this.revalidation.afterImport(rows.map((r) => parseCertificate(r.pem)));
    }
    for (const f of facts) {
      const { action, thumbprint, store, subject } = f.event.data;
      if (action !== 'removed') continue;
      // Imported again since: the chains through it hold again, nothing broke.
      if ((await this.ds.getRepository(TrustedCertificateRow).count({ where: { thumbprint } })) > 0) continue;
      await this.brokenChains.afterRemoval({ thumbprint, store, subject });
    }
    return facts.map(() => undefined);
  }

  async decide(facts: readonly Fact<TrustUpdated>[]): Promise<Verdict[]> {
    return facts.map((): Verdict => ({ kind: 'skip', note: 're-validated before the claim' }));
  }
}
