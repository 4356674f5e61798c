import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { JobScheduler, MESSAGING_OPTIONS, OutboxRelay, type MessagingLogger } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CrlRefreshJob } from './crl-refresh.job';
import { CrlStore } from './crl.store';
import { InternalSigners } from './internal-signers';

/** How often the CRL job looks; CRLs live days, a minute's lateness is nothing. */
export const CRL_REFRESH_INTERVAL_MS = 60_000;

/**
 * Runs the CRL job on the service's clock. The first round runs before the app reports ready, so
 * an internal issuer has its first CRL (and revocations can be signed into it) from the start.
 */
@Injectable()
export class CrlRefreshRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly scheduler: JobScheduler;
  readonly job: CrlRefreshJob;

  constructor(
    @Inject(DATA_SOURCE) ds: DataSource,
    @Inject(OutboxRelay) relay: OutboxRelay,
    @Inject(MESSAGING_OPTIONS) messaging: { logger: MessagingLogger },
    @Inject(CLOCK) clock: Clock,
    crls: CrlStore,
    signers: InternalSigners,
  ) {
    this.scheduler = new JobScheduler(ds, relay, messaging.logger, clock);
    this.job = new CrlRefreshJob(crls, () => signers.all());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.scheduler.runOnce(this.job);
    this.scheduler.start(this.job, { intervalMs: CRL_REFRESH_INTERVAL_MS });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler.stop();
  }
}
