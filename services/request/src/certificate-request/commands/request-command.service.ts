import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { enqueue } from '@certflow/messaging';
import { decide, evolveAll, type Decision, type RequestCommand, type RequestSnapshot } from '../domain/certificate-request.state';
import { CertificateRequestRepository } from '../persistence/certificate-request.repository';
import { outgoingEvents } from './outgoing-events';

export interface CommandResult {
  decision: Decision;
  state: RequestSnapshot | null;
}

/**
 * Runs one command against one request inside the caller's transaction: lock, decide, store the
 * new state and its history, and put the outgoing events in the outbox — all or nothing.
 */
@Injectable()
export class RequestCommandService {
  async run(m: EntityManager, id: string, command: Exclude<RequestCommand, { type: 'Submit' }>): Promise<CommandResult> {
    const before = await CertificateRequestRepository.loadForUpdate(m, id);
    const decision = decide(before, command);
    if (decision.kind !== 'accepted' || !before) return { decision, state: before };
    const after = evolveAll(before, decision.events)!;
    await CertificateRequestRepository.update(m, before, after, decision.events);
    await enqueue(m, ...outgoingEvents(after, decision.events));
    return { decision, state: after };
  }

  async submit(
    m: EntityManager,
    command: Extract<RequestCommand, { type: 'Submit' }>,
    extra: { idempotencyKey: string | null; bodyHash: string | null },
  ): Promise<RequestSnapshot> {
    const decision = decide(null, command);
    if (decision.kind !== 'accepted') throw new Error(`submit refused: ${decision.kind}`);
    const after = evolveAll(null, decision.events)!;
    await CertificateRequestRepository.insert(m, after, decision.events, extra);
    await enqueue(m, ...outgoingEvents(after, decision.events));
    return after;
  }
}
