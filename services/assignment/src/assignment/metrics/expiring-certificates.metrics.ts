import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK, gauge } from '@certflow/runtime';

/**
 * Bound certificates by how soon they expire, for an operator's dashboard and alerts (anything in
 * `expired` is a host serving an expired certificate). Each bucket holds the rows whose notAfter is
 * past the previous bucket's edge and within its own; `later` is beyond 90 days.
 */
export const certificatesExpiring = gauge({
  name: 'certflow_certificates_expiring',
  help: 'Bound certificates by time left to notAfter (within: expired, 1d, 7d, 14d, 30d, 90d, later)',
  labelNames: ['within'] as const,
});

export const EXPIRY_BUCKETS: readonly { within: string; days: number }[] = [
  { within: '1d', days: 1 },
  { within: '7d', days: 7 },
  { within: '14d', days: 14 },
  { within: '30d', days: 30 },
  { within: '90d', days: 90 },
];

/** Counts bound watch rows per bucket at `now` (one indexed scan of the bound rows). */
export async function readExpiryBuckets(ds: DataSource, now: Date): Promise<Record<string, number>> {
  const edges = EXPIRY_BUCKETS.map((b) => new Date(now.getTime() + b.days * 86_400_000));
  const [row] = await ds.query(
    `SELECT count(*) FILTER (WHERE not_after <= $1)::int AS expired,
            ${EXPIRY_BUCKETS.map((b, i) => `count(*) FILTER (WHERE not_after > $${i + 1} AND not_after <= $${i + 2})::int AS "${b.within}"`).join(',\n            ')},
            count(*) FILTER (WHERE not_after > $${EXPIRY_BUCKETS.length + 1})::int AS later
       FROM certificate_watch WHERE released_at IS NULL`,
    [now, ...edges],
  );
  return Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([k, v]) => [k, Number(v)]));
}

@Injectable()
export class ExpiringCertificatesMetrics implements OnModuleInit {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // Read at scrape with the service's clock; a failed read keeps the last values.
    (certificatesExpiring as unknown as { collect: () => Promise<void> }).collect = async () => {
      const counts = await readExpiryBuckets(this.ds, this.clock.now()).catch(() => undefined);
      if (!counts) return;
      for (const [within, n] of Object.entries(counts)) certificatesExpiring.set({ within }, n);
    };
  }
}
