import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ChainCompleteV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, insertRow, updateRow, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict, type Write } from '@certflow/messaging';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { AssignCertificateService, type AssignmentRequested } from '../assign-certificate.service';
import { lockHostBindings, lockRequests, readAssigned, readRevoked, readWanted } from '../persistence/assignment.reads';
import { ASSIGNMENT_WANTED, CHAIN_COMPLETE } from '../persistence/assignment.tables';
import { warnFailures } from './on-assignment-requested.consumer';

export const ON_CHAIN_COMPLETE = 'assignment.on-chain-complete';

type ChainComplete = EventData<typeof ChainCompleteV1>;

/**
 * trust-validation declared a certificate chain-complete: remember it, it is the licence to bind.
 * If the assignment of that very certificate was asked for first, bind it now; a chain.complete for
 * another thumbprint never binds what was asked for.
 */
@Controller()
export class OnChainCompleteConsumer implements FactHandler<ChainComplete> {
  readonly consumer = ON_CHAIN_COMPLETE;
  readonly event = ChainCompleteV1;
  private readonly log = new Logger(OnChainCompleteConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    private readonly assignments: AssignCertificateService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @FactPattern(ChainCompleteV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<ChainComplete>[], tx: FactTx): Promise<Verdict[]> {
    const ids = facts.map((f) => f.event.data.requestId);
    await lockRequests(tx, ids);
    const assigned = await readAssigned(tx, ids);
    const wanted = await readWanted(tx, ids);
    const revoked = await readRevoked(tx, facts.map((f) => f.event.data.thumbprint));
    // Usage fitness reads only the certificate, but the certificate is known only now, from the row.
    const waiting = new Map<string, { req: AssignmentRequested; assessment: ReturnType<AssignCertificateService['assess']> }>();
    for (const f of facts) {
      const req = wanted.get(f.event.data.requestId);
      if (req && req.thumbprint === f.event.data.thumbprint && !revoked.has(req.thumbprint) && !waiting.has(req.requestId)) waiting.set(req.requestId, { req, assessment: this.assignments.assess(req) });
    }
    const bindings = await lockHostBindings(tx, [...waiting.values()].filter((w) => !w.assessment.failure).map((w) => w.assessment.host));
    const at = this.clock.now();
    return facts.map((f): Verdict => {
      const { requestId, thumbprint } = f.event.data;
      const writes: Write[] = [insertRow(CHAIN_COMPLETE, { requestId, thumbprint, seenAt: at }, { ifExists: 'skip' })];
      const w = waiting.get(requestId);
      if (!w || w.req.thumbprint !== thumbprint || assigned.has(requestId)) return { kind: 'apply', writes };
      assigned.add(requestId);
      const b = this.assignments.bind(w.req, w.assessment, bindings);
      writes.push(...b.writes, updateRow(ASSIGNMENT_WANTED, { requestId, boundAt: at }, ['boundAt']));
      return { kind: 'apply', writes, publish: b.events };
    });
  }

  committed(_facts: readonly Fact<ChainComplete>[], verdicts: readonly Verdict[]): void {
    warnFailures(this.log, verdicts);
  }
}
