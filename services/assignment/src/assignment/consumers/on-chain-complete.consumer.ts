import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ChainCompleteV1, parseEvent } from '@certflow/contracts';
import { DATA_SOURCE, preparedQuery } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import type { DataSource } from 'typeorm';
import { CLOCK } from '@certflow/runtime';
import { FactSignals } from '@certflow/messaging';

/** trust-validation declared a certificate chain-complete: remember it, it is the licence to bind. */
@Controller()
export class OnChainCompleteConsumer {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly signals: FactSignals,
  ) {}

  @EventPattern<string>(ChainCompleteV1.subject)
  async onChainComplete(@Payload() raw: unknown): Promise<void> {
    const event = parseEvent(ChainCompleteV1, raw);
    // Idempotent by its key, so no inbox row is needed.
    await preparedQuery(
      this.ds,
      `INSERT INTO chain_complete (request_id, thumbprint, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [event.data.requestId, event.data.thumbprint, this.clock.now()],
    );
    // An assignment.requested that arrived first may be waiting for exactly this.
    this.signals.changed(event.data.requestId);
  }
}
