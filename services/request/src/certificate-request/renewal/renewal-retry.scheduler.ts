import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { DATA_SOURCE } from '@certflow/persistence';
import { JobScheduler, OutboxRelay } from '@certflow/messaging';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { REQUEST_CONFIG, type RequestConfig } from '../../config';
import { HTTP_LOGGER } from '../../http/http-logger';
import { RenewalRetryJob } from './renewal-retry.job';

/**
 * Runs the renewal retry job on the service's JobScheduler (its clock, its outbox relay): started
 * once the application is up, stopped before shutdown, so before messaging closes the relay.
 */
@Injectable()
export class RenewalRetryScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly scheduler: JobScheduler;
  readonly job: RenewalRetryJob;

  constructor(
    @Inject(DATA_SOURCE) ds: DataSource,
    relay: OutboxRelay,
    @Inject(CLOCK) clock: Clock,
    @Inject(HTTP_LOGGER) logger: Logger,
    @Inject(REQUEST_CONFIG) private readonly config: RequestConfig,
  ) {
    this.scheduler = new JobScheduler(ds, relay, logger, clock);
    this.job = new RenewalRetryJob({ minMs: config.CERTFLOW_RENEWAL_RETRY_MIN_MS, maxMs: config.CERTFLOW_RENEWAL_RETRY_MAX_MS });
  }

  onApplicationBootstrap(): void {
    this.scheduler.start(this.job, { intervalMs: this.config.CERTFLOW_RENEWAL_RETRY_INTERVAL_MS });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler.stop();
  }
}
