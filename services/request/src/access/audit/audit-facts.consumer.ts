import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateAssignedV1, TrustUpdatedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, type FactBatch, type FactHandler, type Verdict } from '@certflow/messaging';
import { auditEntryWrite } from './audit.tables';

type TrustUpdated = EventData<typeof TrustUpdatedV1>;
type CertificateAssigned = EventData<typeof CertificateAssignedV1>;

/** Inbox keys of the audit's two fact handlers. */
export const AUDIT_TRUST_UPDATED = `request.audit.${TrustUpdatedV1.subject}`;
export const AUDIT_CERTIFICATE_ASSIGNED = `request.audit.${CertificateAssignedV1.subject}`;

/**
 * Writes the audit entries other services' facts call for: trust-store changes and assignments, one
 * entry per event (its inbox, and the entry's unique event id besides). On certificate.assigned it
 * runs beside the request's other handlers of that subject, each with its own inbox.
 */
@Controller()
export class AuditFactsConsumer {
  readonly trustUpdated: FactHandler<TrustUpdated> = {
    consumer: AUDIT_TRUST_UPDATED,
    event: TrustUpdatedV1,
    decide: async (facts) =>
      facts.map(({ event: e }): Verdict => {
        const { store, action, thumbprint, subject, actor } = e.data;
        const entry = auditEntryWrite({
          at: new Date(e.time),
          kind: action === 'imported' ? 'trust.imported' : 'trust.removed',
          // The contract: no actor means trust-validation changed the store itself.
          actor: actor ?? 'system',
          subject: thumbprint,
          details: { store, certificateSubject: subject },
          eventId: e.id,
        });
        return { kind: 'apply', writes: [entry] };
      }),
  };

  readonly certificateAssigned: FactHandler<CertificateAssigned> = {
    consumer: AUDIT_CERTIFICATE_ASSIGNED,
    event: CertificateAssignedV1,
    decide: async (facts) =>
      facts.map(({ event: e }): Verdict => {
        const { requestId, host, usages, thumbprint, notBound, actor } = e.data;
        const entry = auditEntryWrite({
          at: new Date(e.time),
          kind: 'certificate.assigned',
          // Events from before the actor was carried say nothing; record that rather than guess.
          actor: actor ?? 'unknown',
          subject: requestId,
          details: { host, usages, thumbprint, notBound: notBound ?? [] },
          eventId: e.id,
        });
        return { kind: 'apply', writes: [entry] };
      }),
  };

  constructor(private readonly facts: FactProcessor) {}

  @FactPattern(TrustUpdatedV1)
  onTrustUpdated(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this.trustUpdated);
  }

  @FactPattern(CertificateAssignedV1)
  onCertificateAssigned(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this.certificateAssigned);
  }
}
