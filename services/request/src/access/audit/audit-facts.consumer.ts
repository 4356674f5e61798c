import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { CertificateAssignedV1, TrustUpdatedV1, parseEvent } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import type { JetStreamContext } from '@certflow/messaging';
import { AuditStore } from './audit.store';

/**
 * Writes the audit entries other services' facts call for: trust-store changes and assignments.
 * Once per event id without an inbox: an entry carries its event id, unique, so a redelivery inserts
 * nothing (one statement, where inbox + transaction took four). Acked after the insert. On
 * certificate.assigned it runs beside the request facts consumer (Nest chains event handlers of one
 * subject).
 */
@Controller()
export class AuditFactsConsumer {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource, private readonly audit: AuditStore) {}

  @EventPattern<string>(TrustUpdatedV1.subject)
  async onTrustUpdated(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(TrustUpdatedV1, raw);
    const { store, action, thumbprint, subject, actor } = e.data;
    await this.audit.append(this.ds.manager, {
      at: new Date(e.time),
      kind: action === 'imported' ? 'trust.imported' : 'trust.removed',
      // The contract: no actor means trust-validation changed the store itself.
      actor: actor ?? 'system',
      subject: thumbprint,
      details: { store, certificateSubject: subject },
      eventId: e.id,
    });
  }

  @EventPattern<string>(CertificateAssignedV1.subject)
  async onCertificateAssigned(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(CertificateAssignedV1, raw);
    const { requestId, host, usages, thumbprint, notBound, actor } = e.data;
    await this.audit.append(this.ds.manager, {
      at: new Date(e.time),
      kind: 'certificate.assigned',
      // Events from before the actor was carried say nothing; record that rather than guess.
      actor: actor ?? 'unknown',
      subject: requestId,
      details: { host, usages, thumbprint, notBound: notBound ?? [] },
      eventId: e.id,
    });
  }
}
