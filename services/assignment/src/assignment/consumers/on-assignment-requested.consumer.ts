import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AssignmentRequestedV1, parseEvent } from '@certflow/contracts';
import { handleOnce, OutboxRelay, RetryLaterError, type JetStreamContext } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { DataSource } from 'typeorm';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../../config';
import { AssignCertificateService, type AssignmentOutcome } from '../assign-certificate.service';

export const ON_ASSIGNMENT_REQUESTED = 'assignment.on-assignment-requested';

/** Longest wait between two "not yet" attempts. */
const MAX_RETRY_MS = 30_000;

/**
 * The wait before the next attempt: doubling from `baseMs` with each delivery, so a chain.complete
 * that lags (trust-validation restarting) still gets about two minutes before the dead letter.
 */
export function notYetDelay(baseMs: number, deliveryCount: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, Math.min(deliveryCount - 1, 16)), MAX_RETRY_MS);
}

/** Thrown inside the inbox transaction so it rolls back: the event is not marked handled. */
class NotChainCompleteYet extends Error {}

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
  ) {}

  @EventPattern<string>(AssignmentRequestedV1.subject)
  async onAssignmentRequested(@Payload() raw: unknown, @Ctx() ctx?: JetStreamContext): Promise<void> {
    const event = parseEvent(AssignmentRequestedV1, raw);
    let outcome: AssignmentOutcome | undefined;
    try {
      const out = await handleOnce(this.ds, ON_ASSIGNMENT_REQUESTED, event.id, async (m) => {
        const result = await this.assignments.assign(m, event.data);
        if (result.kind === 'notChainComplete') throw new NotChainCompleteYet();
        return result;
      });
      outcome = out.duplicate ? undefined : (out.result as AssignmentOutcome);
    } catch (err) {
      if (err instanceof NotChainCompleteYet) {
        throw new RetryLaterError(
          `request ${event.data.requestId}: no chain.complete seen for certificate ${event.data.thumbprint} yet; not assigning before it`,
          notYetDelay(this.config.CERTFLOW_ASSIGNMENT_RETRY_MS, ctx?.deliveryCount ?? 1),
        );
      }
      throw err;
    }
    if (!outcome) return;
    if (outcome.kind === 'assigned' || outcome.kind === 'failed') this.relay.kick();
    if (outcome.kind === 'failed') this.log.warn(`request ${event.data.requestId} not assigned (${outcome.code}): ${outcome.message}`);
  }
}
