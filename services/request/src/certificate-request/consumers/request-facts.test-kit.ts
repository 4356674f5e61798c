// For integration specs: the request service's fact handlers on a data source, without Nest or
// JetStream — a batch goes straight to FactProcessor as the transport would hand it over.
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { CloudEvent } from '@certflow/contracts';
import { FactProcessor, MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, type FactHandler, type FactOutcome, type NatsConnection } from '@certflow/messaging';
import { openServiceDataSource } from '@certflow/persistence';
import { dropDatabase, runId, testDatabaseUrl } from '@certflow/testing';
import { SeenCertificateRow } from '../../edge/catalog/seen-certificate.orm-entity';
import { REQUEST_MIGRATIONS } from '../../migrations';
import { CertificateRequestRow, RequestHistoryRow } from '../persistence/certificate-request.orm-entity';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { RequestFactDecider } from './request-fact.decider';
import { REQUEST_FACT_HANDLERS } from './request-facts.consumer';
import { OnRenewalDue } from '../renewal/on-renewal-due.consumer';
import { OnCertificateUntrusted } from '../untrusted/on-certificate-untrusted.consumer';

/** A database of its own with the request service's tables (and the messaging ones), as these specs use; `drop` removes it. */
export async function openRequestTestDatabase(): Promise<{ ds: DataSource; drop: () => Promise<void> }> {
  const url = testDatabaseUrl(runId());
  const ds = await openServiceDataSource({
    url,
    schema: 'request',
    entities: [CertificateRequestRow, RequestHistoryRow, SeenCertificateRow, ...MESSAGING_ENTITIES],
    migrations: [...MESSAGING_MIGRATIONS, ...REQUEST_MIGRATIONS],
  });
  return {
    ds,
    drop: async () => {
      await ds.destroy();
      await dropDatabase(url);
    },
  };
}

export interface RequestFactsKit {
  /** Events the processor published after a commit, in order. */
  readonly published: CloudEvent[];
  /** Warnings the handlers logged (foreign and unknown facts). */
  readonly warnings: { fields: Record<string, unknown>; message: string }[];
  /** Hands `events` (all of one subject) to their handler as ONE batch; one outcome per event. */
  deliver(events: readonly CloudEvent[], deliveryCount?: number): Promise<FactOutcome[]>;
}

/** `clock`: what the renewal-due handler stamps a renewal it submits with (default: the system clock). */
export function requestFactsKit(ds: DataSource, opts: { clock?: { now(): Date } } = {}): RequestFactsKit {
  const published: CloudEvent[] = [];
  const warnings: RequestFactsKit['warnings'] = [];
  const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) } as unknown as Logger;
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const processor = new FactProcessor(ds, { publishCommitted: (events) => published.push(...events) }, silent);
  // The catalog's NATS connection serves look-ups, which handling facts never makes.
  const decider = new RequestFactDecider(new CertificateCatalogService(ds, {} as NatsConnection), logger);
  const handlers = new Map<string, FactHandler<unknown>>(
    REQUEST_FACT_HANDLERS.map((H) => {
      const h = new H(processor, decider) as unknown as FactHandler<unknown>;
      return [h.event.subject, h];
    }),
  );
  const renewalDue = new OnRenewalDue(processor, decider, opts.clock ?? { now: () => new Date() }) as unknown as FactHandler<unknown>;
  handlers.set(renewalDue.event.subject, renewalDue);
  const untrusted = new OnCertificateUntrusted(processor) as unknown as FactHandler<unknown>;
  handlers.set(untrusted.event.subject, untrusted);
  return {
    published,
    warnings,
    async deliver(events, deliveryCount = 1) {
      if (events.length === 0) return [];
      const handler = handlers.get(events[0].type);
      if (!handler || events.some((e) => e.type !== events[0].type)) throw new Error(`one batch is one subject the request service consumes, not ${events.map((e) => e.type).join(', ')}`);
      return processor.process({ deliveries: events.map((e) => ({ payload: JSON.parse(JSON.stringify(e)), deliveryCount })) }, handler);
    },
  };
}
