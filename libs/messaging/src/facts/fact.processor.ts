import type { DataSource } from 'typeorm';
import { parseEvent, type CloudEvent } from '@certflow/contracts';
import type { OutboxRelay } from '../outbox.relay';
import { errorMessage, type MessagingLogger } from '../messaging.logger';
import { factBatchSize, factBatchSplits } from '../messaging.metrics';
import type { Fact, FactHandler, FactOutcome, Verdict } from './fact.handler';
import { inFactTx } from './fact-tx';
import { outboxWrites } from '../outbox.table';
import type { Write } from './table';
import { combineStatements, planWrites } from './write-plan';

/** One message as the transport hands it over: its JSON body and how often it was delivered. */
export interface Delivery {
  readonly payload: unknown;
  readonly deliveryCount: number;
}

/** What a fact consumer's Nest handler receives from the JetStream transport. */
export interface FactBatch {
  readonly deliveries: readonly Delivery[];
}

/**
 * An event a fact led to, carrying that fact's correlation id. A handler decides a whole batch at
 * once, outside any one fact's trace context, so `createEvent` cannot take it from there; without
 * it a request's chain of events would lose the id of the HTTP call that started it.
 */
function continuing(fact: Fact<unknown>, e: CloudEvent): CloudEvent {
  if (e.correlationid) return e;
  return { ...e, correlationid: fact.event.correlationid ?? fact.event.id };
}

const CLAIM = `INSERT INTO inbox (consumer, event_id) SELECT $1::text, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id`;
const UNCLAIM = `DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY ($2::text[])`;

/**
 * Runs fact handlers (see `FactHandler`): for a batch of deliveries, parse, prepare, then in ONE
 * transaction claim the event ids in the inbox, decide, write the rows and the outbox with a few
 * multi-row statements, and commit; then publish what was committed. One outcome per delivery, for
 * the transport to ack, nak or dead-letter.
 *
 * If the batch's transaction fails (a deadlock with another instance, one fact's constraint
 * violation), each fact is tried again in a transaction of its own, so one bad fact costs only its
 * own retry.
 */
export class FactProcessor {
  constructor(
    private readonly ds: DataSource,
    private readonly relay: Pick<OutboxRelay, 'publishCommitted'>,
    private readonly log: MessagingLogger,
  ) {}

  async process<T, P>(batch: FactBatch, handler: FactHandler<T, P>): Promise<FactOutcome[]> {
    const outcomes: FactOutcome[] = new Array(batch.deliveries.length);
    const parsed: { index: number; fact: Fact<T> }[] = [];
    batch.deliveries.forEach((d, index) => {
      try {
        parsed.push({ index, fact: { event: parseEvent(handler.event, d.payload), deliveryCount: d.deliveryCount } });
      } catch (error) {
        outcomes[index] = { action: 'fail', error };
      }
    });
    if (parsed.length === 0) return outcomes;
    try {
      const results = await this.applyBatch(handler, parsed.map((p) => p.fact));
      results.forEach((o, j) => (outcomes[parsed[j].index] = o));
    } catch (error) {
      if (parsed.length === 1) {
        outcomes[parsed[0].index] = { action: 'fail', error };
        return outcomes;
      }
      factBatchSplits.inc({ consumer: handler.consumer });
      this.log.warn({ consumer: handler.consumer, facts: parsed.length, err: errorMessage(error) }, 'batch failed; applying its facts one at a time');
      for (const p of parsed) {
        try {
          [outcomes[p.index]] = await this.applyBatch(handler, [p.fact]);
        } catch (err) {
          outcomes[p.index] = { action: 'fail', error: err };
        }
      }
    }
    return outcomes;
  }

  private async applyBatch<T, P>(handler: FactHandler<T, P>, facts: Fact<T>[]): Promise<FactOutcome[]> {
    const prepared = handler.prepare ? await handler.prepare(facts) : (facts.map(() => undefined) as P[]);
    if (prepared.length !== facts.length) throw new Error(`${handler.consumer}: prepare returned ${prepared.length} results for ${facts.length} facts`);

    let decided: { fact: Fact<T>; verdict: Verdict }[] = [];
    const published: CloudEvent[] = [];
    await inFactTx(this.ds, async (tx) => {
      const ids = [...new Set(facts.map((f) => f.event.id))];
      const fresh = new Set((await tx.query<{ event_id: string }>(CLAIM, [handler.consumer, ids])).map((r) => r.event_id));
      // A redelivery that overtook its own first copy: the same id twice in a batch is decided once.
      const todo: number[] = [];
      facts.forEach((f, i) => {
        if (fresh.delete(f.event.id)) todo.push(i);
      });
      const verdicts = todo.length > 0 ? await handler.decide(todo.map((i) => facts[i]), tx, todo.map((i) => prepared[i])) : [];
      if (verdicts.length !== todo.length) throw new Error(`${handler.consumer}: decide returned ${verdicts.length} verdicts for ${todo.length} facts`);
      decided = todo.map((i, j) => ({ fact: facts[i], verdict: verdicts[j] }));

      const later = decided.filter((d) => d.verdict.kind === 'retryLater').map((d) => d.fact.event.id);
      if (later.length > 0) await tx.query(UNCLAIM, [handler.consumer, later]);
      const writes: Write[] = [];
      for (const { fact, verdict } of decided) {
        if (verdict.kind !== 'apply') continue;
        if (verdict.writes) writes.push(...verdict.writes);
        if (verdict.publish) published.push(...verdict.publish.map((e) => continuing(fact, e)));
      }
      // The outbox rows keep the order the events were decided in.
      for (const st of combineStatements(planWrites([...writes, ...outboxWrites(published)]))) await tx.query(st.text, st.values);
    });

    factBatchSize.observe({ consumer: handler.consumer }, facts.length);
    if (published.length > 0) this.relay.publishCommitted(published);
    if (handler.committed && decided.length > 0) {
      try {
        handler.committed(
          decided.map((d) => d.fact),
          decided.map((d) => d.verdict),
        );
      } catch (err) {
        this.log.error({ consumer: handler.consumer, err: errorMessage(err) }, 'committed() threw; the batch stays applied');
      }
    }
    const later = new Map(decided.filter((d) => d.verdict.kind === 'retryLater').map((d) => [d.fact, d.verdict as Extract<Verdict, { kind: 'retryLater' }>]));
    return facts.map((f): FactOutcome => {
      const v = later.get(f);
      return v ? { action: 'retry', delayMs: v.delayMs, reason: v.reason } : { action: 'ack' };
    });
  }
}
