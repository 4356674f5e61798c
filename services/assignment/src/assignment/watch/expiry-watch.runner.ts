import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { JobScheduler, MESSAGING_OPTIONS, OutboxRelay, type MessagingLogger } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../../config';
import { ExpiryWatchJob } from './expiry-watch.job';

/**
 * Runs the expiry watch in the service: a JobScheduler on the service's clock, started once the app
 * is up and stopped before shutdown hooks run, so a last round's events reach the outbox before the
 * messaging module flushes it and drains NATS.
 */
@Injectable()
export class ExpiryWatchRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly scheduler: JobScheduler;
  readonly job: ExpiryWatchJob;

  constructor(
    @Inject(DATA_SOURCE) ds: DataSource,
    @Inject(OutboxRelay) relay: OutboxRelay,
    @Inject(MESSAGING_OPTIONS) messaging: { logger: MessagingLogger },
    @Inject(CLOCK) clock: Clock,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: AssignmentConfig,
  ) {
    this.scheduler = new JobScheduler(ds, relay, messaging.logger, clock);
    this.job = new ExpiryWatchJob(config.CERTFLOW_EXPIRY_WARN_DAYS);
  }

  onApplicationBootstrap(): void {
    this.scheduler.start(this.job, { intervalMs: this.config.CERTFLOW_WATCH_INTERVAL_MS });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler.stop();
  }
}
