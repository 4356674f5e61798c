import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChainBrokenV1, createEvent, type CloudEvent, type MissingIssuer, type TrustStoreName } from '@certflow/contracts';
import { enqueue, OutboxRelay, planWrites } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import type { DataSource } from 'typeorm';
import { TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from '../config';
import { validationOutcomes } from '../metrics/validation.metrics';
import { TrustStoreCache } from '../trust-store/trust-store.cache';
import { ChainValidationService } from './chain-validation.service';
import { forEachValidationRow } from './validation-pages';
import { ValidationRow } from './persistence/validation.orm-entity';
import { EVENT_SOURCE, type ValidationOutcome } from './validation-outcome';

/** The trust-store certificate whose removal is being followed up (trust.updated's data). */
export interface RemovedCertificate {
  thumbprint: string;
  store: TrustStoreName;
  subject: string;
}

/** How one follow-up of a removal went, for logs and tests. */
export interface BrokenChainReport {
  checked: number;
  broken: number;
  stillComplete: number;
}

/**
 * After a removal from the trust stores, re-validates every request declared chain-complete whose
 * path went through the removed certificate, and publishes `chain.broken` for each that no longer
 * validates. The row is rewritten with the new outcome in the same transaction as the event's outbox
 * row, so a crash part-way leaves the rest still `complete` with the removed certificate in their
 * path, and the redelivered trust.updated finds exactly those: each request is reported once.
 *
 * A certificate whose CA sent the removed intermediate in its own chain still validates (the store
 * only supplied a copy); only its recorded path is updated, and nothing is published.
 */
@Injectable()
export class BrokenChainService {
  private readonly log = new Logger(BrokenChainService.name);

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TRUST_VALIDATION_CONFIG) private readonly config: Pick<TrustValidationConfig, 'CERTFLOW_REVALIDATION_BATCH'>,
    private readonly cache: TrustStoreCache,
    private readonly validation: ChainValidationService,
    private readonly relay: OutboxRelay,
  ) {}

  async afterRemoval(removed: RemovedCertificate): Promise<BrokenChainReport> {
    const report: BrokenChainReport = { checked: 0, broken: 0, stillComplete: 0 };
    // The stores just changed, perhaps on another instance: validate against them as they are now.
    this.cache.invalidate();
    const inPath = JSON.stringify([removed.thumbprint]);
    await forEachValidationRow(this.ds, { where: `status = 'complete' AND path @> $2::jsonb`, params: [inPath] }, this.config.CERTFLOW_REVALIDATION_BATCH, async (requestId) => {
      const result = await this.revalidate(requestId, removed);
      if (!result) return;
      report.checked += 1;
      report[result] += 1;
    });
    if (report.checked > 0) this.log.log(`re-validated ${report.checked} request(s) after ${removed.thumbprint} left the ${removed.store} store: ${JSON.stringify(report)}`);
    return report;
  }

  /** One request, in its own transaction: the row and its chain.broken commit together. */
  private async revalidate(requestId: string, removed: RemovedCertificate): Promise<'broken' | 'stillComplete' | null> {
    const stores = await this.cache.snapshot();
    const done = await this.ds.transaction(async (m) => {
      // Locked and checked again: another instance may have followed up the same removal meanwhile.
      const row = await m.getRepository(ValidationRow).findOne({ where: { requestId }, lock: { mode: 'pessimistic_write' } });
      if (!row || row.status !== 'complete' || !row.path?.includes(removed.thumbprint)) return null;
      const issued = { requestId, thumbprint: row.thumbprint, certificate: row.certificate, chain: row.chain };
      const checked = await this.validation.check(issued, stores);
      for (const st of planWrites(this.validation.recordWrites(issued, checked))) await m.query(st.text, st.values);
      if (checked.outcome.status === 'complete') return { outcome: checked.outcome, event: null };
      const event = createEvent(
        ChainBrokenV1,
        { requestId, thumbprint: row.thumbprint, missing: missingAfterRemoval(checked.outcome, removed), removed: removed.thumbprint },
        { source: EVENT_SOURCE, subject: requestId, time: this.clock.now() },
      );
      await enqueue(m, event);
      return { outcome: checked.outcome, event: event as CloudEvent };
    });
    if (!done) return null;
    validationOutcomes.inc({ outcome: done.outcome.status });
    if (!done.event) return 'stillComplete';
    this.relay.publishCommitted([done.event]);
    return 'broken';
  }
}

/**
 * What the broken chain now lacks: the gaps the validation names, or, when it found no gap an import
 * could close (an invalid outcome), the removed certificate itself.
 */
export function missingAfterRemoval(outcome: ValidationOutcome, removed: RemovedCertificate): MissingIssuer[] {
  if (outcome.status === 'incomplete' && outcome.missing.length > 0) return outcome.missing;
  return [{ kind: removed.store === 'roots' ? 'root' : 'intermediate', subject: removed.subject }];
}
