import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateRevokedV1, CertificateUnassignedV1, createEvent, type CloudEvent, type EventData, type Usage } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { lockHostBindings, lockRequests } from '../persistence/assignment.reads';

export const ON_CERTIFICATE_REVOKED = 'assignment.on-certificate-revoked';

type Revoked = EventData<typeof CertificateRevokedV1>;

/**
 * A certificate was revoked: every binding of it is released (rows deleted), one
 * certificate.unassigned (reason `revoked`, nothing remaining) per host and request with the usages
 * released, and its watch rows released so the expiry watch says nothing more of it. Once each: a
 * redelivered fact is dropped by the inbox, and a second revocation of the same certificate finds no
 * binding left. The binding rows are deleted here (the write maps have no delete), in the fact's
 * transaction, under the same request-then-host locks as binding takes.
 */
@Controller()
export class OnCertificateRevokedConsumer implements FactHandler<Revoked> {
  readonly consumer = ON_CERTIFICATE_REVOKED;
  readonly event = CertificateRevokedV1;
  private readonly log = new Logger(OnCertificateRevokedConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @FactPattern(CertificateRevokedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<Revoked>[], tx: FactTx): Promise<Verdict[]> {
    const thumbprints = [...new Set(facts.map((f) => f.event.data.thumbprint))];
    const holders = await tx.query<{ host: string; request_id: string }>('SELECT DISTINCT host, request_id FROM binding WHERE thumbprint = ANY ($1)', [thumbprints]);
    await lockRequests(tx, [...new Set([...facts.map((f) => f.event.data.requestId), ...holders.map((h) => h.request_id)])]);
    // Under the hosts' locks: what is bound now (a binding made meanwhile is found, one replaced is not).
    const bound = await lockHostBindings(tx, [...new Set(holders.map((h) => h.host))]);
    const at = this.clock.now();
    const done = new Set<string>();
    const verdicts = facts.map((f): Verdict => {
      const { thumbprint } = f.event.data;
      if (done.has(thumbprint)) return { kind: 'skip', note: 'the same certificate earlier in the batch' };
      done.add(thumbprint);
      const released = new Map<string, { host: string; requestId: string; usages: Usage[] }>();
      for (const [key, holder] of bound.bound) {
        if (holder.thumbprint !== thumbprint) continue;
        const [host, usage] = key.split('|');
        const k = `${host}|${holder.requestId}`;
        const r = released.get(k) ?? { host, requestId: holder.requestId, usages: [] };
        r.usages.push(usage as Usage);
        released.set(k, r);
        bound.bound.delete(key);
      }
      const publish: CloudEvent[] = [...released.values()].map((r) =>
        createEvent(
          CertificateUnassignedV1,
          { requestId: r.requestId, host: r.host, thumbprint, usages: r.usages.sort(), reason: 'revoked', remaining: [] },
          { source: 'certflow/assignment', subject: r.requestId, time: at },
        ),
      );
      if (publish.length > 0) this.log.log(`certificate ${thumbprint} revoked: released ${[...released.values()].map((r) => `${r.host} (${r.usages.join(', ')})`).join('; ')}`);
      return { kind: 'apply', writes: [], publish };
    });
    await tx.query('DELETE FROM binding WHERE thumbprint = ANY ($1)', [thumbprints]);
    await tx.query(`UPDATE certificate_watch SET usages = '[]'::jsonb, released_at = $2 WHERE thumbprint = ANY ($1) AND released_at IS NULL`, [thumbprints, at]);
    return verdicts;
  }
}
