import { Counter, Gauge, Histogram, register, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';

/*
 * What messaging measures, on the process's prom-client registry (libs/runtime serves it at
 * /metrics with a `service` label on every series). Get-or-create, so loading this module twice in
 * one process (a test importing both source and a build) does not throw.
 */
function counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  return (register.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter(config);
}
function gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
  return (register.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge(config);
}

/** Every message a durable consumer received; `redelivered="true"` from its second delivery on. */
export const jetstreamDeliveries = counter({
  name: 'certflow_jetstream_deliveries_total',
  help: 'Messages JetStream delivered to a durable consumer, first deliveries and redeliveries',
  labelNames: ['consumer', 'redelivered'] as const,
});

/** Deliveries after the first: a handler failed (nak) or did not settle within ack_wait. */
export const jetstreamRedeliveries = counter({
  name: 'certflow_jetstream_redeliveries_total',
  help: 'Messages JetStream delivered again to a durable consumer (after a failure or an ack timeout)',
  labelNames: ['consumer'] as const,
});

/** Messages set aside as `certflow.deadletter.v1` (attempts exhausted, permanent error, or not JSON). */
export const deadLetters = counter({
  name: 'certflow_dead_letters_total',
  help: 'Messages a consumer gave up on and published as dead letters',
  labelNames: ['consumer'] as const,
});

/** Events the outbox relay published (JetStream acknowledged) and those it must retry. */
export const outboxPublished = counter({
  name: 'certflow_outbox_published_total',
  help: 'Outbox events published to JetStream',
});
export const outboxPublishFailures = counter({
  name: 'certflow_outbox_publish_failures_total',
  help: 'Outbox events whose publish failed; they stay in the outbox for the next round',
});

let countPending: (() => Promise<number>) | undefined;

/** Sets how `certflow_outbox_pending` is counted (the process's OutboxRelay does, at scrape time). */
export function countOutboxPendingWith(count: () => Promise<number>): void {
  countPending = count;
}

/** Unpublished outbox rows, counted when scraped; a failed count keeps the last value. */
export const outboxPending = gauge({
  name: 'certflow_outbox_pending',
  help: 'Events committed to the outbox and not yet published (counted at scrape time)',
  async collect() {
    const pending = await countPending?.().catch(() => undefined);
    if (pending !== undefined) this.set(pending);
  },
});

/** Facts one batch transaction carried, by consumer: how much batching the load allows. */
export const factBatchSize = (() => {
  const name = 'certflow_fact_batch_size';
  const existing = register.getSingleMetric(name) as Histogram<'consumer'> | undefined;
  return existing ?? new Histogram({ name, help: 'Facts applied in one batch transaction', labelNames: ['consumer'] as const, buckets: [1, 2, 4, 8, 16, 32, 64, 128] });
})();

/** Batches whose transaction failed and were applied one fact at a time instead. */
export const factBatchSplits = counter({
  name: 'certflow_fact_batch_splits_total',
  help: 'Batch transactions that failed and were retried one fact per transaction',
  labelNames: ['consumer'] as const,
});

/** Rounds of a scheduled job (the expiry watch, renewal retries): how they ended, and how many due items each took. */
export const scheduledRuns = counter({
  name: 'certflow_scheduled_job_runs_total',
  help: 'Rounds of a scheduled job, by outcome (ok, failed)',
  labelNames: ['job', 'outcome'] as const,
});
export const scheduledItems = counter({
  name: 'certflow_scheduled_job_items_total',
  help: 'Due items a scheduled job took and decided',
  labelNames: ['job'] as const,
});
