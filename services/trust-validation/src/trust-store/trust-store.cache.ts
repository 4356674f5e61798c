import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { printable, TrustUpdatedV1 } from '@certflow/contracts';
import { NATS_CONNECTION } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { parseCertificate, type X509Certificate } from '@certflow/pki';
import type { NatsConnection, Subscription } from '@certflow/messaging';
import type { DataSource } from 'typeorm';
import { TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from '../config';
import { TrustedCertificateRow } from './persistence/trusted-certificate.orm-entity';

/** The trust anchors and intermediates a validation runs against, parsed once. */
export interface TrustSnapshot {
  roots: X509Certificate[];
  intermediates: X509Certificate[];
}

/**
 * The trust stores in memory, so a validation does not re-read and re-parse them. Dropped on a local
 * change, on any `certflow.trust.updated.v1` (how other instances learn of a change: a plain NATS
 * subscription, every instance gets it), and after a short TTL in case such a message was missed.
 */
@Injectable()
export class TrustStoreCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(TrustStoreCache.name);
  private current?: { snapshot: TrustSnapshot; loadedAt: number };
  private loading?: Promise<TrustSnapshot>;
  /** Bumped by every invalidation, so a load that began before a change is not kept after it. */
  private generation = 0;
  private subscription?: Subscription;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(TRUST_VALIDATION_CONFIG) private readonly config: Pick<TrustValidationConfig, 'CERTFLOW_TRUST_CACHE_TTL_MS'>,
  ) {}

  onApplicationBootstrap() {
    this.subscription = this.nc.subscribe(TrustUpdatedV1.subject, { callback: () => this.invalidate() });
  }

  onApplicationShutdown() {
    this.subscription?.unsubscribe();
  }

  invalidate(): void {
    this.generation += 1;
    this.current = undefined;
    this.loading = undefined;
  }

  async snapshot(): Promise<TrustSnapshot> {
    const fresh = this.current && Date.now() - this.current.loadedAt < this.config.CERTFLOW_TRUST_CACHE_TTL_MS;
    if (fresh) return this.current!.snapshot;
    if (!this.loading) {
      const generation = this.generation;
      const loading = this.load().then(
        (snapshot) => {
          if (generation === this.generation) this.current = { snapshot, loadedAt: Date.now() };
          if (this.loading === loading) this.loading = undefined;
          return snapshot;
        },
        (err: unknown) => {
          if (this.loading === loading) this.loading = undefined;
          throw err;
        },
      );
      this.loading = loading;
    }
    return this.loading;
  }

  private async load(): Promise<TrustSnapshot> {
    const rows = await this.ds.getRepository(TrustedCertificateRow).find({ order: { thumbprint: 'ASC' } });
    const snapshot: TrustSnapshot = { roots: [], intermediates: [] };
    for (const row of rows) {
      try {
        snapshot[row.store].push(parseCertificate(row.pem));
      } catch (err) {
        // Stored only after parsing, so this means a damaged row: skip it rather than stop validating.
        this.log.error(`trusted certificate ${row.thumbprint} cannot be parsed: ${printable(String(err))}`);
      }
    }
    return snapshot;
  }
}
