import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { annotateTrace, type CloudEvent } from '@certflow/contracts';
import { observeTransition } from '../../operations/metrics/request.metrics';
import { NO_SUCH_REQUEST, decide, evolveAll, type Decision, type RequestCommand, type RequestSnapshot } from '../domain/certificate-request.state';
import { CertificateRequestRepository, type LockedRequest } from '../persistence/certificate-request.repository';
import { outgoingEvents } from './outgoing-events';

export interface CommandResult {
  decision: Decision;
  state: RequestSnapshot | null;
}

/**
 * Runs an operator's command against one request inside the caller's transaction: lock, decide,
 * store the new state and its history, and put the outgoing events in the outbox — all or nothing.
 * (Facts of the other services go through the fact handlers in consumers/, which decide a batch at once.)
 */
@Injectable()
export class RequestCommandService {
  async run(m: EntityManager, id: string, command: Exclude<RequestCommand, { type: 'Submit' }>): Promise<CommandResult> {
    const locked = await CertificateRequestRepository.lockOne(m, id);
    if (!locked) return { decision: NO_SUCH_REQUEST, state: null };
    return this.apply(m, locked, command);
  }

  /**
   * As `run`, for a command made from the request itself (an upload is judged against the request's
   * own CSR, which `build` parses: the decider does no parsing). Not found: `build` is not called.
   */
  async runWith(
    m: EntityManager,
    id: string,
    build: (request: RequestSnapshot) => Promise<Exclude<RequestCommand, { type: 'Submit' }>>,
  ): Promise<CommandResult> {
    const locked = await CertificateRequestRepository.lockOne(m, id);
    if (!locked) return { decision: NO_SUCH_REQUEST, state: null };
    return this.apply(m, locked, await build(locked.request));
  }

  private async apply(m: EntityManager, locked: LockedRequest, command: Exclude<RequestCommand, { type: 'Submit' }>): Promise<CommandResult> {
    const before = locked.request;
    const decision = decide(before, command);
    if (decision.kind !== 'accepted') return { decision, state: before };
    const after = evolveAll(before, decision.events)!;
    await CertificateRequestRepository.update(m, locked, after, decision.events, outgoingEvents(after, decision.events));
    observeTransition(before, after);
    return { decision, state: after };
  }

  /**
   * Stores a new request; returns it with the events put in the outbox (publish them once `m`
   * commits; without a transaction, `m` gets one of its own and they are committed on return).
   */
  async submit(
    m: EntityManager,
    command: Extract<RequestCommand, { type: 'Submit' }>,
    extra: { idempotencyKey: string | null; bodyHash: string | null },
  ): Promise<{ request: RequestSnapshot; published: CloudEvent[] }> {
    const decision = decide(null, command);
    if (decision.kind !== 'accepted') throw new Error(`submit refused: ${decision.kind}`);
    const after = evolveAll(null, decision.events)!;
    // From here on, the call's log lines and events name the new request.
    annotateTrace({ requestId: after.id });
    const outgoing = outgoingEvents(after, decision.events);
    await CertificateRequestRepository.insert(m, after, decision.events, extra, outgoing);
    return { request: after, published: outgoing };
  }
}
