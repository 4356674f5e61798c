import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AssignmentRequestedV1, parseEvent, printable } from '@certflow/contracts';
import { FactSignals, OutboxRelay, RetryLaterError, type JetStreamContext } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { DataSource } from 'typeorm';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../../config';
import { AssignCertificateService } from '../assign-certificate.service';

export const ON_ASSIGNMENT_REQUESTED = 'assignment.on-assignment-requested';

/** How long an assignment request that came before its chain.complete waits in-process before going back to JetStream. */
const NOT_YET_WAIT_MS = 3_000;

/** Longest wait between two "not yet" attempts. */
const MAX_RETRY_MS = 30_000;

/**
 * The wait before the next attempt: doubling from `baseMs` with each delivery, so a chain.complete
 * that lags (trust-validation restarting) still gets about two minutes before the dead letter.
 */
export function notYetDelay(baseMs: number, deliveryCount: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, Math.min(deliveryCount - 1, 16)), MAX_RETRY_MS);
}

/**
 * Binds a certificate when asked, but only once chain.complete for that very certificate has been
 * seen here. Before that it asks to be redelivered later (the two events travel on separate
 * consumers); if chain.complete never comes the message ends in the dead letters, unassigned.
 */
@Controller()
export class OnAssignmentRequestedConsumer {
  private readonly log = new Logger(OnAssignmentRequestedConsumer.name);

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: Pick<AssignmentConfig, 'CERTFLOW_ASSIGNMENT_RETRY_MS'>,
    private readonly assignments: AssignCertificateService,
    private readonly relay: OutboxRelay,
    private readonly signals: FactSignals,
  ) {}

  @EventPattern<string>(AssignmentRequestedV1.subject)
  async onAssignmentRequested(@Payload() raw: unknown, @Ctx() ctx?: JetStreamContext): Promise<void> {
    const event = parseEvent(AssignmentRequestedV1, raw);
    let outcome = await this.assignments.assignOnce(this.ds, ON_ASSIGNMENT_REQUESTED, event.id, event.data);
    // Its chain.complete is usually a moment behind on the other consumer: wait for it here (see
    // FactSignals), registered before deciding again so an arrival in between still wakes it.
    const deadline = Date.now() + NOT_YET_WAIT_MS;
    while (outcome.kind === 'notChainComplete' && Date.now() < deadline) {
      const arrived = this.signals.wait(event.data.requestId, Math.min(deadline - Date.now(), 500));
      outcome = await this.assignments.assignOnce(this.ds, ON_ASSIGNMENT_REQUESTED, event.id, event.data);
      if (outcome.kind === 'notChainComplete') await arrived;
    }
    if (outcome.kind === 'notChainComplete') {
      throw new RetryLaterError(
        `request ${event.data.requestId}: no chain.complete seen for certificate ${event.data.thumbprint} yet; not assigning before it`,
        notYetDelay(this.config.CERTFLOW_ASSIGNMENT_RETRY_MS, ctx?.deliveryCount ?? 1),
      );
    }
    if (outcome.kind === 'assigned' || outcome.kind === 'failed') this.relay.publishCommitted(outcome.published);
    if (outcome.kind === 'failed') this.log.warn(`request ${event.data.requestId} not assigned (${outcome.code}): ${printable(outcome.message)}`);
  }
}
