import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateIssuedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { validationOutcomes } from '../../metrics/validation.metrics';
import { TrustStoreCache } from '../../trust-store/trust-store.cache';
import { ChainValidationService, type CheckedCertificate } from '../chain-validation.service';
import { outcomeEvent, statusOfOutcomeEvent } from '../validation-outcome';

export const ON_CERTIFICATE_ISSUED = 'trust-validation.on-certificate-issued';

type Issued = EventData<typeof CertificateIssuedV1>;

/** A CA returned a certificate: validate its chain and say so (complete, incomplete, or failed). */
@Controller()
export class OnCertificateIssuedConsumer implements FactHandler<Issued, CheckedCertificate> {
  readonly consumer = ON_CERTIFICATE_ISSUED;
  readonly event = CertificateIssuedV1;

  constructor(
    private readonly facts: FactProcessor,
    private readonly cache: TrustStoreCache,
    private readonly validation: ChainValidationService,
  ) {}

  @FactPattern(CertificateIssuedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  /** Validation (signature checks) runs before the transaction, so the transaction stays short. */
  async prepare(facts: readonly Fact<Issued>[]): Promise<CheckedCertificate[]> {
    const stores = await this.cache.snapshot();
    const checked: CheckedCertificate[] = [];
    for (const f of facts) checked.push(await this.validation.check(f.event.data, stores));
    return checked;
  }

  /**
   * Nothing is read: a validation replaces the request's row whatever was there (the last fact of a
   * batch about one request wins, as the last delivery did one at a time), and certificates already
   * seen keep their first sighting.
   */
  async decide(facts: readonly Fact<Issued>[], _tx: FactTx, checked: readonly CheckedCertificate[]): Promise<Verdict[]> {
    return facts.map((f, i): Verdict => ({
      kind: 'apply',
      writes: this.validation.recordWrites(f.event.data, checked[i]),
      publish: [outcomeEvent(f.event.data, checked[i].outcome)],
    }));
  }

  committed(_facts: readonly Fact<Issued>[], verdicts: readonly Verdict[]): void {
    for (const v of verdicts) {
      if (v.kind !== 'apply') continue;
      for (const e of v.publish ?? []) {
        const outcome = statusOfOutcomeEvent(e);
        if (outcome) validationOutcomes.inc({ outcome });
      }
    }
  }
}
