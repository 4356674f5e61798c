import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IssuerCaPublishedV1, printable, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, RpcError, type Fact, type FactBatch, type FactHandler, type FactTx, type Verdict } from '@certflow/messaging';
import type { X509Certificate } from '@certflow/pki';
import { TrustStoreService } from '../trust-store.service';

export const ON_ISSUER_CA_PUBLISHED = 'trust-validation.on-issuer-ca-published';

type Published = EventData<typeof IssuerCaPublishedV1>;

/** A published set of roots, checked: the certificates to trust, or why they cannot be. */
type CheckedRoots = { kind: 'none' } | { kind: 'roots'; certs: X509Certificate[] } | { kind: 'refused'; error: RpcError };

/**
 * An issuer published its CA certificates: trust its roots, as an enterprise CA's root is pushed to
 * the fleet it serves. Idempotent: a root already present is left as it is.
 */
@Controller()
export class OnIssuerCaPublishedConsumer implements FactHandler<Published, CheckedRoots> {
  readonly consumer = ON_ISSUER_CA_PUBLISHED;
  readonly event = IssuerCaPublishedV1;
  private readonly log = new Logger(OnIssuerCaPublishedConsumer.name);

  constructor(
    private readonly facts: FactProcessor,
    private readonly trustStore: TrustStoreService,
  ) {}

  @FactPattern(IssuerCaPublishedV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  /** Parsing and the store's rules need no database: done before the transaction. */
  async prepare(facts: readonly Fact<Published>[]): Promise<CheckedRoots[]> {
    const checked: CheckedRoots[] = [];
    for (const f of facts) {
      if (f.event.data.roots.length === 0) {
        checked.push({ kind: 'none' });
        continue;
      }
      try {
        checked.push({ kind: 'roots', certs: await this.trustStore.checkImport('roots', f.event.data.roots.join('\n')) });
      } catch (err) {
        // A published "root" that is not one will not become one on retry: refused, not retried.
        if (!(err instanceof RpcError)) throw err;
        checked.push({ kind: 'refused', error: err });
      }
    }
    return checked;
  }

  /**
   * Imports in the batch's transaction, fact after fact, so a root two facts publish is added by the
   * first and found present by the second; the trust.updated events go out with the commit.
   */
  async decide(facts: readonly Fact<Published>[], tx: FactTx, checked: readonly CheckedRoots[]): Promise<Verdict[]> {
    const verdicts: Verdict[] = [];
    for (const [i, f] of facts.entries()) {
      const c = checked[i];
      if (c.kind === 'none') {
        verdicts.push({ kind: 'skip' });
      } else if (c.kind === 'refused') {
        this.log.error(`issuer ${f.event.data.issuer} published roots that cannot be trusted (${c.error.code}): ${printable(c.error.message)}`);
        verdicts.push({ kind: 'skip', note: c.error.code });
      } else {
        const out = await this.trustStore.importChecked(tx.manager, 'roots', c.certs, `issuer:${f.event.data.issuer}`);
        verdicts.push(out.events.length > 0 ? { kind: 'apply', publish: out.events } : { kind: 'skip', note: 'already trusted' });
      }
    }
    return verdicts;
  }

  /** This instance validates against the new stores at once. */
  committed(_facts: readonly Fact<Published>[], verdicts: readonly Verdict[]): void {
    this.trustStore.afterChange(verdicts.some((v) => v.kind === 'apply'));
  }
}
