import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AssignmentRequestedV1, printable, RequestFailedV1, type CloudEvent } from '@certflow/contracts';
import { FactPattern, FactProcessor, insertRow, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { AssignCertificateService, type Assessment, type AssignmentRequested } from '../assign-certificate.service';
import { completeKey, lockHostBindings, lockRequests, readAssigned, readChainComplete, readRevoked, readWanted } from '../persistence/assignment.reads';
import { ASSIGNMENT_WANTED } from '../persistence/assignment.tables';

export const ON_ASSIGNMENT_REQUESTED = 'assignment.on-assignment-requested';

/**
 * Binds a certificate when asked, once chain.complete for that very certificate has been seen here.
 * If it has not (the two events travel on separate consumers), the request is recorded as wanted
 * and acked; chain.complete binds it when it comes (see OnChainCompleteConsumer). A second request
 * for a request already assigned is a duplicate.
 */
@Controller()
export class OnAssignmentRequestedConsumer implements FactHandler<AssignmentRequested, Assessment> {
  readonly consumer = ON_ASSIGNMENT_REQUESTED;
  readonly event = AssignmentRequestedV1;
  private readonly log = new Logger(OnAssignmentRequestedConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    private readonly assignments: AssignCertificateService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @FactPattern(AssignmentRequestedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async prepare(facts: readonly Fact<AssignmentRequested>[]): Promise<Assessment[]> {
    return facts.map((f) => this.assignments.assess(f.event.data));
  }

  async decide(facts: readonly Fact<AssignmentRequested>[], tx: FactTx, prepared: readonly Assessment[]): Promise<Verdict[]> {
    const ids = facts.map((f) => f.event.data.requestId);
    await lockRequests(tx, ids);
    const assigned = await readAssigned(tx, ids);
    const complete = await readChainComplete(tx, ids);
    const wanted = await readWanted(tx, ids);
    const revoked = await readRevoked(tx, facts.map((f) => f.event.data.thumbprint));
    const hosts = prepared.filter((a, i) => !a.failure && complete.has(completeKey(ids[i], facts[i].event.data.thumbprint))).map((a) => a.host);
    const bindings = await lockHostBindings(tx, hosts);
    const at = this.clock.now();
    return facts.map((f, i): Verdict => {
      const req = f.event.data;
      if (assigned.has(req.requestId)) return { kind: 'skip', note: 'duplicate: already assigned' };
      if (revoked.has(req.thumbprint)) return { kind: 'skip', note: 'the certificate was revoked: never bound' };
      if (complete.has(completeKey(req.requestId, req.thumbprint))) {
        assigned.add(req.requestId);
        const b = this.assignments.bind(req, prepared[i], bindings);
        return { kind: 'apply', writes: b.writes, publish: b.events };
      }
      // Already waiting for its chain.complete: the first request stands.
      if (wanted.has(req.requestId)) return { kind: 'skip', note: 'duplicate: already waiting for chain.complete' };
      wanted.set(req.requestId, req);
      return { kind: 'apply', writes: [insertRow(ASSIGNMENT_WANTED, { requestId: req.requestId, thumbprint: req.thumbprint, request: req, requestedAt: at, boundAt: null }, { ifExists: 'skip' })] };
    });
  }

  committed(_facts: readonly Fact<AssignmentRequested>[], verdicts: readonly Verdict[]): void {
    warnFailures(this.log, verdicts);
  }
}

/** Logs each request the batch failed, as the assignment always has. */
export function warnFailures(log: Logger, verdicts: readonly Verdict[]): void {
  for (const v of verdicts) {
    if (v.kind !== 'apply') continue;
    for (const e of v.publish ?? []) {
      if (e.type !== RequestFailedV1.subject) continue;
      const d = (e as CloudEvent<string, { requestId: string; code: string; message: string }>).data;
      log.warn(`request ${d.requestId} not assigned (${d.code}): ${printable(d.message)}`);
    }
  }
}
