import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { annotateTrace, type CloudEvent } from '@certflow/contracts';
import { observeTransition } from '../../operations/metrics/request.metrics';
import { NO_SUCH_REQUEST, decide, evolveAll, type Decision, type RequestCommand, type RequestSnapshot } from '../domain/certificate-request.state';
import { CertificateRequestRepository, type NewRequestRow } from '../persistence/certificate-request.repository';
import { FactSignals } from '@certflow/messaging';
import { outgoingEvents } from './outgoing-events';
import { RecentRequests } from './recent-requests';

/** Reads and decides again this often when other changes keep winning the race, then lets the event be redelivered. */
const MAX_ATTEMPTS = 5;

export interface CommandResult {
  decision: Decision;
  state: RequestSnapshot | null;
  /** The events stored in the outbox with the new state, once committed (`runFact`); publish them. */
  published?: CloudEvent[];
}

/**
 * Runs one command against one request inside the caller's transaction: lock, decide, store the
 * new state and its history, and put the outgoing events in the outbox — all or nothing.
 */
@Injectable()
export class RequestCommandService {
  private readonly recent = new RecentRequests();

  constructor(private readonly changes: FactSignals) {}

  async run(m: EntityManager, id: string, command: Exclude<RequestCommand, { type: 'Submit' }>): Promise<CommandResult> {
    return this.apply(m, await CertificateRequestRepository.loadForUpdate(m, id), command);
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
    const before = await CertificateRequestRepository.loadForUpdate(m, id);
    if (!before) return { decision: NO_SUCH_REQUEST, state: null };
    return this.apply(m, before, await build(before));
  }

  /**
   * As `run`, for a fact another service published, once per inbox `consumer` and event id, without
   * a transaction: read, decide, and write in one statement where the version is still the one
   * read (two round trips where lock-and-write took four). A lost race reads and decides again.
   * `null` when the event was handled before. `alongside` runs (idempotently) before the write.
   */
  async runFact(
    ds: DataSource,
    fact: { consumer: string; eventId: string },
    id: string,
    command: Exclude<RequestCommand, { type: 'Submit' }>,
    alongside?: (m: EntityManager) => Promise<void>,
  ): Promise<CommandResult | null> {
    for (let attempt = 1; ; attempt++) {
      // First try what this process wrote last: most facts follow one it just applied. The write
      // below checks the version, and any decision but "accepted" is taken again from the database.
      const recent = attempt === 1 ? this.recent.get(id) : undefined;
      const { seen, request: before, version } =
        recent && decide(recent.request, command).kind === 'accepted'
          ? { seen: false, ...recent }
          : await CertificateRequestRepository.loadForFact(ds.manager, fact.consumer, fact.eventId, id);
      if (seen) return null;
      const decision = decide(before, command);
      // "Not yet" claims nothing: the event comes back and is decided again.
      if (decision.kind === 'notYet') return { decision, state: before };
      if (decision.kind !== 'accepted' || !before) {
        await CertificateRequestRepository.claimOnly(ds.manager, fact.consumer, fact.eventId);
        return { decision, state: before };
      }
      const after = evolveAll(before, decision.events)!;
      if (alongside) await alongside(ds.manager);
      const outgoing = outgoingEvents(after, decision.events);
      if (await CertificateRequestRepository.updateOnce(ds.manager, { ...fact, version }, before, after, decision.events, outgoing)) {
        observeTransition(before, after);
        this.recent.remember(after, version + 1);
        this.changes.changed(id);
        return { decision, state: after, published: outgoing };
      }
      this.recent.forget(id);
      if (attempt >= MAX_ATTEMPTS) throw new Error(`request ${id} kept changing under ${fact.consumer}; will retry the event`);
    }
  }

  private async apply(m: EntityManager, before: RequestSnapshot | null, command: Exclude<RequestCommand, { type: 'Submit' }>): Promise<CommandResult> {
    const decision = decide(before, command);
    if (decision.kind !== 'accepted' || !before) return { decision, state: before };
    const after = evolveAll(before, decision.events)!;
    await CertificateRequestRepository.update(m, before, after, decision.events, outgoingEvents(after, decision.events));
    observeTransition(before, after);
    // Its version is not known here; the next fact reads the row.
    this.recent.forget(before.id);
    // Committed by the caller's transaction a moment later; a woken waiter that reads too early waits again.
    this.changes.changed(before.id);
    return { decision, state: after };
  }

  /** Stores a new request; returns it with the events its statement put in the outbox (published once `m` commits). */
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
    if (!m.queryRunner?.isTransactionActive) this.recent.remember(after, 0);
    return { request: after, published: outgoing };
  }

  /**
   * Stores many new requests in one statement (`insertMany`). `stored[i]` is false where another call
   * stored the same idempotency key first: that item stored nothing. `published`: the stored
   * requests' events, to publish once `m` commits.
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
    const stored = rows.map((r) => ids.has(r.request.id));
    if (!m.queryRunner?.isTransactionActive) for (const r of rows) if (ids.has(r.request.id)) this.recent.remember(r.request, 0);
    return { requests: rows.map((r) => r.request), stored, published: rows.filter((r) => ids.has(r.request.id)).flatMap((r) => r.outgoing) };
  }
}
