import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { RequestSubmittedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { IssuanceService, type IssuanceAnswer } from '../issuance/issuance.service';

/** The inbox key of this consumer: one handling per event id. */
export const ON_REQUEST_SUBMITTED = 'ca-gateway.on-request-submitted';

type Submitted = EventData<typeof RequestSubmittedV1>;

/**
 * request.submitted → the request's CA. Publishes certificate.issued, request.pending or
 * request.failed (stage issuance) through the outbox, in the transaction that records the issuance.
 *
 * The CA is asked in `prepare`, before the transaction: the internal CA signs, offline and ACME
 * answer "pending" at once (ACME orders are created by the order poller, from a committed row
 * only), an unknown issuer or a bad CSR fails. The `issuance` row's key then decides who wins: a
 * request already recorded (a re-submission under another event id, or a batch of another instance
 * that got there first) is skipped, nothing published again. Two instances racing past the look
 * both ask the CA; the second's insert waits for the first's commit and then fails, its batch is
 * applied again fact by fact, and this time the look finds the row. The loser's answer is dropped:
 * a signature no one sees, never a second ACME order.
 */
@Controller()
export class OnRequestSubmittedConsumer implements FactHandler<Submitted, IssuanceAnswer | null> {
  readonly consumer = ON_REQUEST_SUBMITTED;
  readonly event = RequestSubmittedV1;
  private readonly log = new Logger(OnRequestSubmittedConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly issuance: IssuanceService,
  ) {}

  @FactPattern(RequestSubmittedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  /** The CA's answer per fact; null for a request already recorded (a look first, so it is not signed again). */
  async prepare(facts: readonly Fact<Submitted>[]): Promise<(IssuanceAnswer | null)[]> {
    const known = await this.recorded(this.ds.query.bind(this.ds), facts, false);
    const answers: (IssuanceAnswer | null)[] = [];
    const asked = new Set<string>();
    for (const f of facts) {
      const { requestId } = f.event.data;
      // Twice in one batch (under two event ids): the second is skipped by decide, no need to ask twice.
      answers.push(known.has(requestId) || asked.has(requestId) ? null : await this.issuance.answer(f.event.data));
      asked.add(requestId);
    }
    return answers;
  }

  async decide(facts: readonly Fact<Submitted>[], tx: FactTx, answers: readonly (IssuanceAnswer | null)[]): Promise<Verdict[]> {
    const state = await this.recorded((text, values) => tx.query(text, values), facts, true);
    return facts.map((f, i): Verdict => {
      const req = f.event.data;
      const existing = state.get(req.requestId);
      const answer = answers[i];
      if (existing) {
        if (answer) this.log.log(`request ${req.requestId} was handled meanwhile; this answer is dropped, nothing published again`);
        else this.log.log(`request ${req.requestId} already handled (${existing}); nothing published again`);
        return { kind: 'skip', note: `already ${existing}` };
      }
      // Recorded by none, yet not asked: the row the look saw is gone. Ask again on the next delivery.
      if (!answer) return { kind: 'retryLater', reason: `request ${req.requestId} was not taken to its CA`, delayMs: 0 };
      state.set(req.requestId, answer.outcome.kind);
      return { kind: 'apply', writes: this.issuance.claim(req, answer), publish: [answer.event] };
    });
  }

  /** The issuance state of the facts' requests that have a row; `lock`: in request order, for the transaction. */
  private async recorded(
    query: (text: string, values: unknown[]) => Promise<{ request_id: string; state: string }[]>,
    facts: readonly Fact<Submitted>[],
    lock: boolean,
  ): Promise<Map<string, string>> {
    const ids = [...new Set(facts.map((f) => f.event.data.requestId))].sort();
    const rows = await query(`SELECT request_id, state FROM issuance WHERE request_id = ANY ($1) ORDER BY request_id${lock ? ' FOR UPDATE' : ''}`, [ids]);
    return new Map(rows.map((r) => [r.request_id, r.state]));
  }
}
