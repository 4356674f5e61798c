import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { CertificateRevokedV1, createEvent, REVOCATION_REASON_CODES, RevocationRequestedV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, insertRow, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict, type Write } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { isPkiInputError, parseCertificate, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { CaAdapterRegistry } from '../issuance/ca-adapter.registry';
import { isRevocable, type RevokeOutcome } from '../issuance/ca-adapter.port';
import { InternalSigners } from '../revocation/internal-signers';
import { CrlStore } from '../revocation/crl.store';
import type { CrlEntry } from '../revocation/crl.signer';
import { REVOCATION, type AtCa } from '../revocation/revocation.tables';
import { normalizeSerial } from '../revocation/serial-number';

/**
 * The certificate's serial (normalised). A certificate of an offline or ACME CA that libs/pki will
 * not read is still recorded: keyed by its thumbprint instead, it can be in no CRL of ours anyway.
 */
function serialOf(certificatePem: string, thumbprint: string): string {
  try {
    return normalizeSerial(parseCertificate(certificatePem).serialNumber);
  } catch (error) {
    if (isPkiInputError(error)) return `unreadable:${thumbprint}`;
    throw error;
  }
}

export const ON_REVOCATION_REQUESTED = 'ca-gateway.on-revocation-requested';

type Requested = EventData<typeof RevocationRequestedV1>;

/** What prepare learned: the CA's answer for an ACME certificate, or that it was revoked already. */
type Prepared = { kind: 'known' } | { kind: 'asked'; outcome: RevokeOutcome } | { kind: 'local' };

/**
 * revocation.requested → revoked at the certificate's CA, then certificate.revoked (outbox).
 * - internal: the revocation row and the issuer's next CRL (number + 1, under the crl row's lock)
 *   are written in the batch's transaction: one new CRL per issuer per batch; OCSP reads the rows.
 * - acme: revokeCert is called in `prepare` (outside the transaction); a transient failure throws
 *   and the event is redelivered, a refusal is logged with the CA's message and nothing published.
 * - offline (and an issuer this gateway does not serve): recorded only, `atCa: 'manual'`.
 * The first revocation of a certificate is the one kept: a later request publishes nothing. Two
 * instances racing on one certificate: the second insert fails on the key, the batch is applied
 * again fact by fact and then finds the row.
 */
@Controller()
export class OnRevocationRequestedConsumer implements FactHandler<Requested, Prepared> {
  readonly consumer = ON_REVOCATION_REQUESTED;
  readonly event = RevocationRequestedV1;
  private readonly log = new Logger(OnRevocationRequestedConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly registry: CaAdapterRegistry,
    private readonly signers: InternalSigners,
    private readonly crls: CrlStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @FactPattern(RevocationRequestedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async prepare(facts: readonly Fact<Requested>[]): Promise<Prepared[]> {
    const known = await this.revoked((t, v) => this.ds.query(t, v), facts);
    const out: Prepared[] = [];
    for (const f of facts) {
      const { thumbprint, issuer, certificate, reason } = f.event.data;
      const adapter = this.registry.get(issuer);
      if (known.has(thumbprint)) out.push({ kind: 'known' });
      else if (adapter?.type === 'acme' && isRevocable(adapter)) out.push({ kind: 'asked', outcome: await adapter.revoke(certificate, REVOCATION_REASON_CODES[reason]) });
      else out.push({ kind: 'local' });
    }
    return out;
  }

  async decide(facts: readonly Fact<Requested>[], tx: FactTx, prepared: readonly Prepared[]): Promise<Verdict[]> {
    const known = await this.revoked((t, v) => tx.query(t, v), facts);
    const now = this.clock.now();
    const verdicts: Verdict[] = [];
    const crlEntries = new Map<string, { entries: CrlEntry[]; last: number }>();
    for (const [i, f] of facts.entries()) {
      const req = f.event.data;
      if (known.has(req.thumbprint)) {
        verdicts.push({ kind: 'skip', note: 'already revoked' });
        continue;
      }
      const p = prepared[i];
      if (p.kind === 'asked' && p.outcome.kind === 'refused') {
        this.log.error(`the ACME CA of issuer "${req.issuer}" refused to revoke ${req.thumbprint}: ${p.outcome.message}`);
        verdicts.push({ kind: 'skip', note: `refused by the CA: ${p.outcome.message}` });
        continue;
      }
      if (p.kind === 'known') {
        // Seen revoked before the transaction, gone now: decide again on the next delivery.
        verdicts.push({ kind: 'retryLater', reason: `revocation of ${req.thumbprint} changed meanwhile`, delayMs: 0 });
        continue;
      }
      known.add(req.thumbprint);
      const serial = serialOf(req.certificate, req.thumbprint);
      const atCa = this.atCaOf(req.issuer);
      if (atCa === 'crl-ocsp') {
        const batch = crlEntries.get(req.issuer) ?? { entries: [], last: i };
        batch.entries.push({ serial, reason: req.reason, revokedAt: now });
        batch.last = i;
        crlEntries.set(req.issuer, batch);
      }
      if (atCa === 'manual') this.log.warn(`certificate ${req.thumbprint} of issuer "${req.issuer}" is recorded as revoked; revoke it at the CA by hand`);
      verdicts.push({
        kind: 'apply',
        writes: [insertRow(REVOCATION, { issuer: req.issuer, serial, thumbprint: req.thumbprint, requestId: req.requestId, reason: req.reason, revokedAt: now, atCa })],
        publish: [
          createEvent(
            CertificateRevokedV1,
            { requestId: req.requestId, host: req.host, thumbprint: req.thumbprint, reason: req.reason, revokedAt: now.toISOString(), atCa, ...(serial.startsWith('unreadable:') ? {} : { serialNumber: serial }) },
            { source: 'certflow/ca-gateway', subject: req.requestId, time: now },
          ),
        ],
      });
    }
    // One new CRL per issuer for the whole batch, carried by its last revocation's verdict.
    for (const [issuer, batch] of [...crlEntries].sort(([a], [b]) => a.localeCompare(b))) {
      const write = await this.crls.next(tx, issuer, this.signers.get(issuer)!, now, batch.entries);
      if (!write) {
        for (const [i, f] of facts.entries()) {
          if (f.event.data.issuer === issuer && verdicts[i].kind === 'apply') verdicts[i] = { kind: 'retryLater', reason: `issuer "${issuer}" has no CRL yet`, delayMs: 500 };
        }
        continue;
      }
      const v = verdicts[batch.last] as Extract<Verdict, { kind: 'apply' }>;
      verdicts[batch.last] = { ...v, writes: [...(v.writes ?? []), write] as Write[] };
    }
    return verdicts;
  }

  private atCaOf(issuer: string): AtCa {
    const type = this.registry.get(issuer)?.type;
    if (type === 'internal' && this.signers.get(issuer)) return 'crl-ocsp';
    if (type === 'acme') return 'acme';
    return 'manual';
  }

  private async revoked(query: (text: string, values: unknown[]) => Promise<{ thumbprint: string }[]>, facts: readonly Fact<Requested>[]): Promise<Set<string>> {
    const thumbprints = [...new Set(facts.map((f) => f.event.data.thumbprint))].sort();
    const rows = await query('SELECT thumbprint FROM revocation WHERE thumbprint = ANY ($1)', [thumbprints]);
    return new Set(rows.map((r) => r.thumbprint));
  }
}
