import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { IssuerCaPublishedV1, parseEvent, printable } from '@certflow/contracts';
import { handleOnce, RpcError } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { DataSource } from 'typeorm';
import { TrustStoreService } from '../trust-store.service';

export const ON_ISSUER_CA_PUBLISHED = 'trust-validation.on-issuer-ca-published';

/**
 * An issuer published its CA certificates: trust its roots, as an enterprise CA's root is pushed to
 * the fleet it serves. Idempotent: a root already present is left as it is.
 */
@Controller()
export class OnIssuerCaPublishedConsumer {
  private readonly log = new Logger(OnIssuerCaPublishedConsumer.name);

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly trustStore: TrustStoreService,
  ) {}

  @EventPattern<string>(IssuerCaPublishedV1.subject)
  async onPublished(@Payload() raw: unknown): Promise<void> {
    const event = parseEvent(IssuerCaPublishedV1, raw);
    if (event.data.roots.length === 0) return;
    let certs;
    try {
      certs = await this.trustStore.checkImport('roots', event.data.roots.join('\n'));
    } catch (err) {
      // A published "root" that is not one will not become one on retry: log it and move on.
      if (err instanceof RpcError) {
        this.log.error(`issuer ${event.data.issuer} published roots that cannot be trusted (${err.code}): ${printable(err.message)}`);
        return;
      }
      throw err;
    }
    const actor = `issuer:${event.data.issuer}`;
    const out = await handleOnce(this.ds, ON_ISSUER_CA_PUBLISHED, event.id, (m) => this.trustStore.importChecked(m, 'roots', certs, actor));
    if (!out.duplicate) this.trustStore.afterChange(out.result.added.length > 0);
  }
}
