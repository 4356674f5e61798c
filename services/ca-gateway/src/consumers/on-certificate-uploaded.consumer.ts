import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateIssuedV1, CertificateUploadedV1, createEvent, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, updateRow, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { parseCertificate, thumbprintSha1, toPem, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CaAdapterRegistry } from '../issuance/ca-adapter.registry';
import type { IssuanceOutcome } from '../issuance/persistence/issuance.record';
import { ISSUANCE } from '../issuance/persistence/issuance.tables';

export const ON_CERTIFICATE_UPLOADED = 'ca-gateway.on-certificate-uploaded';

type Uploaded = EventData<typeof CertificateUploadedV1>;

/**
 * certificate.uploaded → certificate.issued, for a request an offline issuer holds pending. The
 * gateway stays the one place certificates enter the flow; the first upload wins, later ones are
 * ignored (the request is no longer pending).
 *
 * An upload for a request the gateway has not recorded yet (its request.submitted not handled yet:
 * rare, the upload API answers only for a pending request) is the one case left to "retry later":
 * the upload carries no issuer, so it cannot be applied before the submission is.
 */
@Controller()
export class OnCertificateUploadedConsumer implements FactHandler<Uploaded> {
  readonly consumer = ON_CERTIFICATE_UPLOADED;
  readonly event = CertificateUploadedV1;
  private readonly log = new Logger(OnCertificateUploadedConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    private readonly registry: CaAdapterRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @FactPattern(CertificateUploadedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<Uploaded>[], tx: FactTx): Promise<Verdict[]> {
    const ids = [...new Set(facts.map((f) => f.event.data.requestId))].sort();
    const rows = await tx.query<{ request_id: string; issuer: string; state: string }>(
      'SELECT request_id, issuer, state FROM issuance WHERE request_id = ANY ($1) ORDER BY request_id FOR UPDATE',
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    return facts.map((f): Verdict => {
      const { requestId } = f.event.data;
      const row = byId.get(requestId);
      if (!row) return { kind: 'retryLater', reason: `request ${requestId} has not reached the gateway yet`, delayMs: 500 };
      if (row.state !== 'pending' || this.registry.get(row.issuer)?.type !== 'offline') {
        this.log.warn(`upload for request ${requestId} ignored: it is ${row.state} with issuer ${row.issuer}`);
        return { kind: 'skip', note: `request is ${row.state}` };
      }
      const leaf = parseCertificate(f.event.data.certificate);
      const thumbprint = thumbprintSha1(leaf);
      const at = this.clock.now();
      const outcome: IssuanceOutcome = { kind: 'issued', certificate: toPem(leaf), chain: f.event.data.chain };
      // A second upload in this batch finds the request issued, as it would in the next one.
      byId.set(requestId, { ...row, state: 'issued' });
      return {
        kind: 'apply',
        writes: [updateRow(ISSUANCE, { requestId, state: 'issued', outcome, thumbprint, updatedAt: at }, ['state', 'outcome', 'thumbprint', 'updatedAt'])],
        publish: [
          createEvent(
            CertificateIssuedV1,
            { requestId, issuer: row.issuer, certificate: outcome.certificate, chain: outcome.chain, thumbprint },
            { source: 'certflow/ca-gateway', subject: requestId, time: at },
          ),
        ],
      };
    });
  }
}
