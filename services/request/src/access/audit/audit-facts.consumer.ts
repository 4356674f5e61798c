import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateAssignedV1, TrustUpdatedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type Fact, type FactBatch, type FactHandler, type Verdict } from '@certflow/messaging';
import { auditWrite } from './audit.tables';

type TrustUpdated = EventData<typeof TrustUpdatedV1>;
type CertificateAssigned = EventData<typeof CertificateAssignedV1>;

/**
 * Writes the audit entries trust-store changes call for. Once per event id (the inbox, and the
 * entry's own unique event id), in the batch's transaction.
 */
@Controller()
export class AuditTrustUpdated implements FactHandler<TrustUpdated> {
  readonly consumer = `request.audit.${TrustUpdatedV1.subject}`;
  readonly event = TrustUpdatedV1;
  constructor(private readonly facts: FactProcessor) {}

  @FactPattern(TrustUpdatedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<TrustUpdated>[]): Promise<Verdict[]> {
    return facts.map(({ event: e }): Verdict => {
      const { store, action, thumbprint, subject, actor } = e.data;
      const entry = auditWrite({
        at: new Date(e.time),
        kind: action === 'imported' ? 'trust.imported' : 'trust.removed',
        // The contract: no actor means trust-validation changed the store itself.
        actor: actor ?? 'system',
        subject: thumbprint,
        details: { store, certificateSubject: subject },
        eventId: e.id,
      });
      return { kind: 'apply', writes: [entry] };
    });
  }
}

/**
 * The audit entry of an assignment. Runs beside the request's and the host feed's handlers of
 * certificate.assigned (Nest chains them on the service's one durable consumer; each has its inbox).
 */
@Controller()
export class AuditCertificateAssigned implements FactHandler<CertificateAssigned> {
  readonly consumer = `request.audit.${CertificateAssignedV1.subject}`;
  readonly event = CertificateAssignedV1;
  constructor(private readonly facts: FactProcessor) {}

  @FactPattern(CertificateAssignedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<CertificateAssigned>[]): Promise<Verdict[]> {
    return facts.map(({ event: e }): Verdict => {
      const { requestId, host, usages, thumbprint, notBound, actor } = e.data;
      const entry = auditWrite({
        at: new Date(e.time),
        kind: 'certificate.assigned',
        // Events from before the actor was carried say nothing; record that rather than guess.
        actor: actor ?? 'unknown',
        subject: requestId,
        details: { host, usages, thumbprint, notBound: notBound ?? [] },
        eventId: e.id,
      });
      return { kind: 'apply', writes: [entry] };
    });
  }
}
