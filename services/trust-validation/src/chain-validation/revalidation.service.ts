import { Inject, Injectable, Logger } from '@nestjs/common';
import { enqueue, OutboxRelay, planWrites } from '@certflow/messaging';
import type { CloudEvent } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { subjectKeyIdentifier, subjectOf, type Clock, type X509Certificate } from '@certflow/pki';
import type { DataSource } from 'typeorm';
import { CLOCK } from '@certflow/runtime';
import { TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from '../config';
import { TrustStoreCache } from '../trust-store/trust-store.cache';
import { ChainValidationService } from './chain-validation.service';
import { validationOutcomes } from '../metrics/validation.metrics';
import { ValidationRow } from './persistence/validation.orm-entity';
import { outcomeEvent, sameGaps } from './validation-outcome';
import { issuerKeysOf } from './waiting-on.keys';
import { forEachValidationRow } from './validation-pages';

/** How one re-validation run went, for logs and tests. */
export interface RevalidationReport {
  checked: number;
  completed: number;
  stillIncomplete: number;
  failed: number;
}

/**
 * After an import, re-validates the requests that were waiting for the imported issuer:
 * only rows whose `waiting_on` names it, in batches, each in its own transaction so one bad row does
 * not hold back the rest and the outgoing event commits with the row it describes.
 *
 * Not a fact handler's decision: an import may release thousands of requests, far more than one
 * batch transaction should hold, so the trust.updated handler runs this before its transaction
 * (see OnTrustUpdatedConsumer) and each row's event goes through the outbox of that row's own
 * transaction.
 */
@Injectable()
export class RevalidationService {
  private readonly log = new Logger(RevalidationService.name);

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TRUST_VALIDATION_CONFIG) private readonly config: Pick<TrustValidationConfig, 'CERTFLOW_REVALIDATION_BATCH'>,
    private readonly cache: TrustStoreCache,
    private readonly validation: ChainValidationService,
    private readonly relay: OutboxRelay,
  ) {}

  async afterImport(certs: readonly X509Certificate[]): Promise<RevalidationReport> {
    const report: RevalidationReport = { checked: 0, completed: 0, stillIncomplete: 0, failed: 0 };
    const keys = issuerKeysOf(certs.map((c) => ({ subject: subjectOf(c), subjectKeyIdentifier: subjectKeyIdentifier(c) })));
    if (keys.length === 0) return report;
    // The stores just changed: validate against them, not against a copy from before the import.
    this.cache.invalidate();
    await forEachValidationRow(this.ds, { where: `status = 'incomplete' AND waiting_on && $2::text[]`, params: [keys] }, this.config.CERTFLOW_REVALIDATION_BATCH, async (requestId) => {
      const result = await this.revalidate(requestId);
      if (result) report[result] += 1;
      report.checked += 1;
    });
    if (report.checked > 0) this.log.log(`re-validated ${report.checked} waiting request(s) after an import: ${JSON.stringify(report)}`);
    return report;
  }

  /** Re-validates one row if it is still incomplete; its own transaction. */
  private async revalidate(requestId: string): Promise<'completed' | 'stillIncomplete' | 'failed' | null> {
    const stores = await this.cache.snapshot();
    const done = await this.ds.transaction(async (m) => {
      // Locked, and status checked again: another instance may have re-validated it meanwhile.
      const row = await m.getRepository(ValidationRow).findOne({ where: { requestId }, lock: { mode: 'pessimistic_write' } });
      if (!row || row.status !== 'incomplete') return null;
      const issued = { requestId, thumbprint: row.thumbprint, certificate: row.certificate, chain: row.chain };
      const checked = await this.validation.check(issued, stores);
      const { outcome } = checked;
      for (const st of planWrites(this.validation.recordWrites(issued, checked))) await m.query(st.text, st.values);
      // An import that changed nothing about this request's gaps is not news.
      if (outcome.status === 'incomplete' && sameGaps(row.waitingOn, outcome.waitingOn)) return { outcome, event: null };
      const event: CloudEvent = outcomeEvent(issued, outcome, { revalidated: true, at: this.clock.now() });
      await enqueue(m, event);
      return { outcome, event };
    });
    if (!done) return null;
    validationOutcomes.inc({ outcome: done.outcome.status });
    if (done.event) this.relay.publishCommitted([done.event]);
    return done.outcome.status === 'complete' ? 'completed' : done.outcome.status === 'incomplete' ? 'stillIncomplete' : 'failed';
  }
}
