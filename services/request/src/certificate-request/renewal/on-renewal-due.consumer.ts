import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateRenewalDueV1, type CloudEvent, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { renewalsTotal } from '../../operations/metrics/renewal.metrics';
import { RequestFactDecider } from '../consumers/request-fact.decider';
import { CertificateRequestRepository } from '../persistence/certificate-request.repository';
import { openRenewals, renewalOf, submissionWrites } from './renewal.submission';

type RenewalDue = EventData<typeof CertificateRenewalDueV1>;

/**
 * `certificate.renewal-due`: the request records when its renewal fell due, and a 'Never' request
 * that is still ASSIGNED and has no open renewal is renewed here, with its stored CSR, in the same
 * transaction (the renewal's row and its request.submitted through the outbox). 'Always' waits for
 * the host: its agent (or `certflow renew`) makes the new key and calls the renew route.
 * Delivered twice, or twice at once: the old request's row lock orders them, the second finds the
 * open renewal, and the partial unique index on renewal_of refuses a second one whatever happens.
 */
@Controller()
export class OnRenewalDue implements FactHandler<RenewalDue> {
  readonly event = CertificateRenewalDueV1;
  readonly consumer = `request.${CertificateRenewalDueV1.subject}`;
  private readonly started = new WeakSet<Verdict>();
  private readonly recorded = new WeakMap<Verdict, Verdict>();

  constructor(
    private readonly facts: FactProcessor,
    private readonly decider: RequestFactDecider,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @FactPattern(CertificateRenewalDueV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<RenewalDue>[], tx: FactTx): Promise<Verdict[]> {
    // Locks the batch's requests, and records the due date where it is missing.
    const recorded = await this.decider.decide(
      this.event.subject,
      facts.map((f) => ({ event: f.event, deliveryCount: f.deliveryCount, command: { type: 'RecordRenewalDue', at: new Date(f.event.time), thumbprint: f.event.data.thumbprint, dueAt: dueAt(f.event) } })),
      tx,
    );
    const ids = facts.map((f) => f.event.data.requestId);
    const current = await CertificateRequestRepository.lock(tx.query, ids);
    const open = await openRenewals(tx.query, [...current.keys()]);
    return facts.map((f, i) => {
      const verdict = recorded[i];
      const old = current.get(f.event.data.requestId);
      if (verdict.kind === 'retryLater' || !old || old.request.state !== 'ASSIGNED' || old.request.rotationPolicy !== 'Never') return verdict;
      if (old.request.thumbprint !== f.event.data.thumbprint || open.has(old.request.id)) return verdict;
      const renewal = submissionWrites(renewalOf(old.request, { id: randomUUID(), at: this.clock.now() }));
      // A second fact of the batch about the same request finds this one open.
      open.set(old.request.id, renewal.request.id);
      const withRenewal: Verdict = {
        kind: 'apply',
        writes: [...(verdict.kind === 'apply' ? (verdict.writes ?? []) : []), ...renewal.writes],
        publish: [...(verdict.kind === 'apply' ? (verdict.publish ?? []) : []), ...renewal.publish],
      };
      this.started.add(withRenewal);
      this.recorded.set(withRenewal, verdict);
      return withRenewal;
    });
  }

  committed(_facts: readonly Fact<RenewalDue>[], verdicts: readonly Verdict[]): void {
    this.decider.committed(verdicts.map((v) => this.recorded.get(v) ?? v));
    for (const v of verdicts) if (this.started.has(v)) renewalsTotal.inc({ outcome: 'started' });
  }
}

/** When the window opened: the fact says so (dueAt), else it is the instant the watch sent it. */
function dueAt(e: CloudEvent<string, RenewalDue>): Date {
  return new Date(e.data.dueAt ?? e.time);
}
