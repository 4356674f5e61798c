import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { measureOverdueWith } from '../../operations/metrics/renewal.metrics';

/**
 * Lets `certflow_renewal_oldest_overdue_seconds` find the oldest renewal that fell due and is not
 * assigned yet: an ASSIGNED request is superseded once its renewal is assigned, so an ASSIGNED
 * request whose due date passed is one still waiting. "Passed" by the service's clock, not PostgreSQL's.
 */
@Injectable()
export class RenewalMetricsBinder implements OnModuleInit {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    measureOverdueWith(async () => {
      const [row] = await this.ds.query(`SELECT min(renewal_due_at) AS due FROM certificate_request WHERE state = 'ASSIGNED' AND renewal_due_at <= $1`, [this.clock.now()]);
      return row?.due ? new Date(row.due) : null;
    }, this.clock);
  }
}
