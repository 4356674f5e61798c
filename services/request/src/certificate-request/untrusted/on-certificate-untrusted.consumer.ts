import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertificateUntrustedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, updateRow, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import { markUntrusted, UNTRUSTED_MARK, type UntrustedMark } from './untrusted.mark';

type Untrusted = EventData<typeof CertificateUntrustedV1>;

/** Long enough for the request's own facts (certificate.issued) to land first; the case is rare. */
const NOT_YET_DELAY_MS = 2_000;

/**
 * `certificate.untrusted` (assignment, after a trust-store removal broke a bound certificate's chain):
 * marks the request untrusted, a marker beside its state (it stays ASSIGNED), which the view and the
 * inventory show. The marker stays until the request is renewed (SUPERSEDED) or re-assigned.
 */
@Controller()
export class OnCertificateUntrusted implements FactHandler<Untrusted> {
  readonly event = CertificateUntrustedV1;
  readonly consumer = `request.${CertificateUntrustedV1.subject}`;
  private readonly log = new Logger(OnCertificateUntrusted.name);

  constructor(private readonly facts: FactProcessor) {}

  @FactPattern(CertificateUntrustedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<Untrusted>[], tx: FactTx): Promise<Verdict[]> {
    const ids = [...new Set(facts.map((f) => f.event.data.requestId))].sort();
    const rows = await tx.query<{ id: string; thumbprint: string | null; untrusted: UntrustedMark | null }>(
      'SELECT id, thumbprint, untrusted FROM certificate_request WHERE id = ANY ($1::uuid[]) ORDER BY id FOR UPDATE',
      [ids],
    );
    const marks = new Map(rows.map((r) => [r.id, r]));
    return facts.map((f): Verdict => {
      const { requestId, thumbprint } = f.event.data;
      const row = marks.get(requestId);
      // assignment reports only what it bound, so the request exists; it may not have its certificate.issued applied yet.
      if (!row || row.thumbprint === null) return { kind: 'retryLater', reason: `request ${requestId} has no certificate recorded yet`, delayMs: NOT_YET_DELAY_MS };
      if (row.thumbprint !== thumbprint) return { kind: 'skip', note: `request ${requestId} holds ${row.thumbprint}, not ${thumbprint}` };
      // Two reports of one batch (two hosts) build on each other.
      row.untrusted = markUntrusted(row.untrusted, f.event.data, new Date(f.event.time));
      return { kind: 'apply', writes: [updateRow(UNTRUSTED_MARK, { id: requestId, untrusted: row.untrusted }, ['untrusted'])] };
    });
  }

  committed(facts: readonly Fact<Untrusted>[], verdicts: readonly Verdict[]): void {
    facts.forEach((f, i) => {
      if (verdicts[i].kind === 'apply') this.log.warn(`request ${f.event.data.requestId}: certificate ${f.event.data.thumbprint} on ${f.event.data.host} is untrusted (its chain broke)`);
    });
  }
}
