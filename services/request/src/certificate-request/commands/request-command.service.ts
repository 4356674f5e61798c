import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { annotateTrace, type CloudEvent } from '@certflow/contracts';
import { observeTransition } from '../../operations/metrics/request.metrics';
import { NO_SUCH_REQUEST, decide, evolveAll, type Decision, type RequestCommand, type RequestSnapshot } from '../domain/certificate-request.state';
import { CertificateRequestRepository, type LockedRequest, type NewRequestRow } from '../persistence/certificate-request.repository';
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

  /**
   * Stores many new requests at once (`insertMany`). `stored[i]` is false where another call stored
   * the same idempotency key first: that item stored nothing. `published`: the stored requests'
   * events, to publish once `m` commits.
   */
  async submitMany(
    m: EntityManager,
    items: { command: Extract<RequestCommand, { type: 'Submit' }>; extra: { idempotencyKey: string | null; bodyHash: string | null } }[],
  ): Promise<{ requests: RequestSnapshot[]; stored: boolean[]; published: CloudEvent[] }> {
    const rows: NewRequestRow[] = items.map(({ command, extra }) => {
      const decision = decide(null, command);
      if (decision.kind !== 'accepted') throw new Error(`submit refused: ${decision.kind}`);
      const request = evolveAll(null, decision.events)!;
      return { request, events: decision.events, extra, outgoing: outgoingEvents(request, decision.events) };
    });
    const ids = await CertificateRequestRepository.insertMany(m, rows);
    return { requests: rows.map((r) => r.request), stored: rows.map((r) => ids.has(r.request.id)), published: rows.filter((r) => ids.has(r.request.id)).flatMap((r) => r.outgoing) };
  }
}
