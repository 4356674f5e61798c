import { Controller, Inject } from '@nestjs/common';
import { Payload, EventPattern } from '@nestjs/microservices';
import { CertificateIssuedV1, parseEvent } from '@certflow/contracts';
import { OutboxRelay } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { DataSource } from 'typeorm';
import { TrustStoreCache } from '../../trust-store/trust-store.cache';
import { ChainValidationService } from '../chain-validation.service';
import { outcomeEvent } from '../validation-outcome';

export const ON_CERTIFICATE_ISSUED = 'trust-validation.on-certificate-issued';

/** A CA returned a certificate: validate its chain and say so (complete, incomplete, or failed). */
@Controller()
export class OnCertificateIssuedConsumer {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly cache: TrustStoreCache,
    private readonly validation: ChainValidationService,
    private readonly relay: OutboxRelay,
  ) {}

  @EventPattern<string>(CertificateIssuedV1.subject)
  async onIssued(@Payload() raw: unknown): Promise<void> {
    const event = parseEvent(CertificateIssuedV1, raw);
    // Validation (signature checks) runs before the transaction, so the transaction stays short.
    const checked = await this.validation.check(event.data, await this.cache.snapshot());
    const outcome = outcomeEvent(event.data.requestId, event.data.thumbprint, checked.outcome);
    const fresh = await this.validation.recordOnce(this.ds, ON_CERTIFICATE_ISSUED, event.id, event.data, checked, outcome);
    if (fresh) this.relay.publishCommitted([outcome]);
  }
}
