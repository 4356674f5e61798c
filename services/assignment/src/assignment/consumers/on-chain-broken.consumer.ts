import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateUnassignedV1, CertificateUntrustedV1, ChainBrokenV1, createEvent, type CloudEvent, type EventData, type Usage } from '@certflow/contracts';
import { FactPattern, FactProcessor, updateRow, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict, type Write } from '@certflow/messaging';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../../config';
import { EVENT_SOURCE } from '../assign-certificate.service';
import { bindingKey, lockHostBindings, lockRequests } from '../persistence/assignment.reads';
import { CERTIFICATE_WATCH } from '../persistence/certificate-watch.table';
import { untrustedBindings } from '../untrusted-bindings';

export const ON_CHAIN_BROKEN = 'assignment.on-chain-broken';

type ChainBroken = EventData<typeof ChainBrokenV1>;

/**
 * trust-validation says a certificate's chain broke after a trust-store removal. What is still bound
 * of it is reported per host (certificate.untrusted); with CERTFLOW_RELEASE_UNTRUSTED=true those
 * bindings are also released (certificate.unassigned, reason untrusted) and the watch row with them.
 * A certificate bound nowhere any more (replaced, released) is nobody's concern: nothing is said.
 */
@Controller()
export class OnChainBrokenConsumer implements FactHandler<ChainBroken> {
  readonly consumer = ON_CHAIN_BROKEN;
  readonly event = ChainBrokenV1;
  private readonly log = new Logger(OnChainBrokenConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: Pick<AssignmentConfig, 'CERTFLOW_RELEASE_UNTRUSTED'>,
  ) {}

  @FactPattern(ChainBrokenV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<ChainBroken>[], tx: FactTx): Promise<Verdict[]> {
    const ids = facts.map((f) => f.event.data.requestId);
    await lockRequests(tx, ids);
    // The hosts first (unlocked, to know which to lock), then read again under the hosts' locks.
    const candidates = await tx.query<{ host: string }>('SELECT DISTINCT host FROM binding WHERE request_id = ANY ($1)', [[...new Set(ids)].sort()]);
    const bindings = await lockHostBindings(tx, candidates.map((r) => r.host));
    const release = this.config.CERTFLOW_RELEASE_UNTRUSTED;
    const at = this.clock.now();
    const verdicts: Verdict[] = [];
    for (const f of facts) {
      const { requestId, thumbprint, missing } = f.event.data;
      const held = untrustedBindings(bindings, requestId, thumbprint);
      if (held.length === 0) {
        verdicts.push({ kind: 'skip', note: 'not bound any more' });
        continue;
      }
      const meta = { source: EVENT_SOURCE, subject: requestId, time: at };
      const publish: CloudEvent[] = held.map(({ host, usages }) => createEvent(CertificateUntrustedV1, { requestId, host, thumbprint, usages, missing }, meta));
      const writes: Write[] = [];
      if (release) {
        for (const { host, usages } of held) {
          // The write maps have no delete; the rows go in the batch's transaction all the same.
          await tx.query('DELETE FROM binding WHERE host = $1 AND usage = ANY ($2) AND request_id = $3 AND thumbprint = $4', [host, usages, requestId, thumbprint]);
          // The history keeps the binding, now with its end, as a revocation's release does.
          await tx.query(
            `UPDATE binding_history SET released_at = $5, release_reason = 'untrusted' WHERE host = $1 AND usage = ANY ($2) AND request_id = $3 AND thumbprint = $4 AND released_at IS NULL`,
            [host, usages, requestId, thumbprint, at],
          );
          for (const usage of usages) bindings.bound.delete(bindingKey(host, usage));
          const remaining = bindings.usagesOf(host, requestId) as Usage[];
          publish.push(createEvent(CertificateUnassignedV1, { requestId, host, thumbprint, usages, reason: 'untrusted', remaining }, meta));
          writes.push(updateRow(CERTIFICATE_WATCH, { requestId, usages: remaining, releasedAt: remaining.length === 0 ? at : null }, ['usages', 'releasedAt']));
        }
      }
      verdicts.push({ kind: 'apply', writes, publish });
    }
    return verdicts;
  }

  committed(facts: readonly Fact<ChainBroken>[], verdicts: readonly Verdict[]): void {
    facts.forEach((f, i) => {
      if (verdicts[i].kind !== 'apply') return;
      const { requestId, thumbprint } = f.event.data;
      this.log.warn(`certificate ${thumbprint} of request ${requestId} is bound but its chain broke after a trust-store removal${this.config.CERTFLOW_RELEASE_UNTRUSTED ? '; released' : ''}`);
    });
  }
}
