import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { parseEvent, TrustUpdatedV1 } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { parseCertificate } from '@certflow/pki';
import type { DataSource } from 'typeorm';
import { TrustedCertificateRow } from '../../trust-store/persistence/trusted-certificate.orm-entity';
import { RevalidationService } from '../revalidation.service';

/**
 * Re-validation after an import, driven by this service's own durable `trust.updated` event: it runs
 * after the import's commit, on one instance, and again after a crash (at least once). Idempotent:
 * only rows still incomplete and waiting on the imported issuer are touched.
 */
@Controller()
export class OnTrustUpdatedConsumer {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly revalidation: RevalidationService,
  ) {}

  @EventPattern<string>(TrustUpdatedV1.subject)
  async onTrustUpdated(@Payload() raw: unknown): Promise<void> {
    const event = parseEvent(TrustUpdatedV1, raw);
    if (event.data.action !== 'imported') return;
    const row = await this.ds.getRepository(TrustedCertificateRow).findOneBy({ thumbprint: event.data.thumbprint });
    // Removed again since: nothing to re-validate against.
    if (!row) return;
    await this.revalidation.afterImport([parseCertificate(row.pem)]);
  }
}
