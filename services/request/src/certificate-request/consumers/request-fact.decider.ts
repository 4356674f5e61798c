import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { CloudEvent } from '@certflow/contracts';
import type { FactTx, Verdict, Write } from '@certflow/messaging';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { HTTP_LOGGER } from '../../http/http-logger';
import { observeTransition } from '../../operations/metrics/request.metrics';
import { certificateOf, decide, evolveAll, type ExistingRequestCommand, type RequestSnapshot } from '../domain/certificate-request.state';
import { outgoingEvents } from '../commands/outgoing-events';
import { CertificateRequestRepository, type LockedRequest } from '../persistence/certificate-request.repository';
import { historyInserts, requestUpdate } from '../persistence/certificate-request.writes';

/** How long JetStream keeps back, on its first delivery, a fact that came before the one it follows and cannot apply without it. */
export const NOT_YET_DELAY_MS = 200;

/**
 * The delay before delivery `deliveryCount + 1` of a fact that is not yet applicable. The first is
 * short: what it waits for is usually just behind it on another consumer. If that did not bring
 * it, it is far off (a request PENDING with its CA), and asking again soon only spends the
 * attempts before the dead letter: 3 s, then three times longer each time, up to a minute.
 */
export function notYetDelayMs(deliveryCount: number): number {
  return deliveryCount <= 1 ? NOT_YET_DELAY_MS : Math.min(3_000 * 3 ** (deliveryCount - 2), 60_000);
}

/** A fact of another service as a command on the request it names. */
export interface RequestFact {
  readonly event: CloudEvent<string, { requestId: string }>;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly command: Exclude<ExistingRequestCommand, { type: 'UploadCertificate' | 'Assign' | 'RequestRevocation' }>;
}

/** What `committed` does for a verdict once its batch is in: a transition to count, or a warning to log. */
type AfterCommit = { kind: 'transition'; before: RequestSnapshot; after: RequestSnapshot } | { kind: 'warn'; fields: Record<string, unknown>; message: string };

/** One request through a batch: as locked, as the facts so far left it, and which fact changed it last. */
interface Folding {
  readonly locked: LockedRequest;
  current: RequestSnapshot;
  applied: number;
  last: number;
}

/**
 * The one decision of the request service's six fact handlers: lock the batch's requests (in id
 * order), run each fact's command through the state machine in order — a second fact about a
 * request sees what the first left — and write each changed request once, on the version read
 * plus one per fact applied, with the history, the catalog and the outgoing events of each fact.
 */
@Injectable()
export class RequestFactDecider {
  private readonly afterCommit = new WeakMap<Verdict, AfterCommit>();

  constructor(
    private readonly catalog: CertificateCatalogService,
    @Inject(HTTP_LOGGER) private readonly logger: Logger,
  ) {}

  async decide(subject: string, facts: readonly RequestFact[], tx: FactTx): Promise<Verdict[]> {
    const locked = await CertificateRequestRepository.lock(tx.query, facts.map((f) => f.event.data.requestId));
    const folding = new Map<string, Folding>();
    const writes: Write[][] = facts.map(() => []);
    const verdicts = facts.map((fact, i): Verdict => {
      const { event, command } = fact;
      const id = event.data.requestId;
      const row = locked.get(id);
      if (!row) return this.skip(`no request ${id}`, { requestId: id, subject, code: 'NOT_FOUND' }, 'event for an unknown request ignored');
      let f = folding.get(id);
      if (!f) folding.set(id, (f = { locked: row, current: row.request, applied: 0, last: -1 }));
      const before = f.current;
      const decision = decide(before, command);
      switch (decision.kind) {
        case 'notYet':
          return { kind: 'retryLater', reason: `${subject} for ${id}: ${decision.reason}`, delayMs: notYetDelayMs(fact.deliveryCount) };
        case 'rejected':
          return { kind: 'skip', note: `${decision.code}: ${decision.message}` };
        case 'ignored':
          if (decision.foreign) {
            // Recorded in the inbox and acked like any fact; it changed nothing, but someone published it.
            return this.skip(decision.reason, { requestId: id, subject, eventId: event.id, source: event.source, reason: decision.reason }, 'fact about another certificate ignored');
          }
          // certificate.issued after a validation that brought the certificate: its chain goes to the catalog all the same.
          if (command.type === 'RecordIssued' && certificateOf(before)?.thumbprint === command.thumbprint) {
            return { kind: 'apply', writes: this.catalog.rememberWrites([command.certificate, ...command.chain], command.at) };
          }
          return { kind: 'skip', note: decision.reason };
        case 'accepted': {
          const after = evolveAll(before, decision.events)!;
          f.current = after;
          f.applied++;
          f.last = i;
          writes[i].push(...historyInserts(id, decision.events, before.state));
          for (const e of decision.events) if (e.type === 'Issued') writes[i].push(...this.catalog.rememberWrites([e.certificate, ...e.chain], e.at));
          const verdict: Verdict = { kind: 'apply', writes: writes[i], publish: outgoingEvents(after, decision.events) };
          this.afterCommit.set(verdict, { kind: 'transition', before, after });
          return verdict;
        }
        default: {
          const exhaustive: never = decision;
          return exhaustive;
        }
      }
    });
    // One update per request, however many facts of the batch changed it (two updates of one row
    // in a batch would be two statements whose order is not the facts'), with the last fact that
    // changed it: its verdict holds writes[last] itself.
    for (const f of folding.values()) {
      if (f.applied === 0) continue;
      const update = requestUpdate(f.locked.request, f.current, f.locked.version + f.applied);
      if (update) writes[f.last].push(update);
    }
    return verdicts;
  }

  /** After the batch committed: the metrics of each transition, the warnings of what was ignored. */
  committed(verdicts: readonly Verdict[]): void {
    for (const v of verdicts) {
      const after = this.afterCommit.get(v);
      if (after?.kind === 'transition') observeTransition(after.before, after.after);
      else if (after?.kind === 'warn') this.logger.warn(after.fields, after.message);
    }
  }

  private skip(note: string, fields: Record<string, unknown>, message: string): Verdict {
    const verdict: Verdict = { kind: 'skip', note };
    this.afterCommit.set(verdict, { kind: 'warn', fields, message });
    return verdict;
  }
}
