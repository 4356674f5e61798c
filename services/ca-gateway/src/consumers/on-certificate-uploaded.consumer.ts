import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { CertificateIssuedV1, CertificateUploadedV1, createEvent, parseEvent } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { enqueue, handleOnce, OutboxRelay, RetryLaterError } from '@certflow/messaging';
import { parseCertificate, thumbprintSha1, toPem, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CaAdapterRegistry } from '../issuance/ca-adapter.registry';
import { IssuanceOrmEntity } from '../issuance/persistence/issuance.orm-entity';
import { issuanceRepository } from '../issuance/persistence/issuance.repository';

export const ON_CERTIFICATE_UPLOADED = 'ca-gateway.on-certificate-uploaded';

/**
 * certificate.uploaded → certificate.issued, for a request an offline issuer holds pending. The
 * gateway stays the one place certificates enter the flow; the first upload wins, later ones are
 * ignored (the request is no longer pending).
 */
@Controller()
export class OnCertificateUploadedConsumer {
  private readonly log = new Logger(OnCertificateUploadedConsumer.name);

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly registry: CaAdapterRegistry,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @EventPattern<string>(CertificateUploadedV1.subject)
  async onUploaded(@Payload() raw: unknown): Promise<void> {
    const event = parseEvent(CertificateUploadedV1, raw);
    const { requestId } = event.data;
    const out = await handleOnce(this.ds, ON_CERTIFICATE_UPLOADED, event.id, async (m) => {
      const row = await m.getRepository(IssuanceOrmEntity).findOne({ where: { requestId }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw new RetryLaterError(`request ${requestId} has not reached the gateway yet`, 500);
      if (row.state !== 'pending' || this.registry.get(row.issuer)?.type !== 'offline') {
        this.log.warn(`upload for request ${requestId} ignored: it is ${row.state} with issuer ${row.issuer}`);
        return false;
      }
      const leaf = parseCertificate(event.data.certificate);
      const thumbprint = thumbprintSha1(leaf);
      const at = this.clock.now();
      const outcome = { kind: 'issued' as const, certificate: toPem(leaf), chain: event.data.chain };
      await issuanceRepository.record(m, requestId, outcome, thumbprint, at);
      await enqueue(
        m,
        createEvent(
          CertificateIssuedV1,
          { requestId, issuer: row.issuer, certificate: outcome.certificate, chain: outcome.chain, thumbprint },
          { source: 'certflow/ca-gateway', subject: requestId, time: at },
        ),
      );
      return true;
    });
    if (!out.duplicate && out.result) this.relay.kick();
  }
}
