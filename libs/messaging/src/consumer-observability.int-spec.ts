/**
 * What the consumer runner adds for observability, against the real NATS: each message is handled
 * in a trace context read from its envelope (so log lines and the events the handler creates carry
 * the request and correlation ids), and deliveries, redeliveries and dead letters are counted.
 */
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { randomBytes, randomUUID } from 'node:crypto';
import { register } from 'prom-client';
import { z } from 'zod';
import { createEvent, currentTrace, defineEvent, type CloudEvent, type TraceFields } from '@certflow/contracts';
import type { JetStreamContext } from './jetstream.context';
import { JetStreamPublisher } from './jetstream.publisher';
import { JetStreamServer } from './jetstream.server';
import { cleanUpStream, waitFor } from './jetstream.test-kit';
import { consumerName } from './delivery.policy';
import { connectNats, ensureStream } from './nats.connection';
import type { NatsConnection } from './nats.types';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const run = randomBytes(4).toString('hex');
const service = `test-obs-${run}`;
const prefix = `certflow.test.${run}`;
const S = { flaky: `${prefix}.flaky.v1`, poison: `${prefix}.poison.v1` };
const TestEvent = defineEvent('certflow.test.any.v1', z.object({ n: z.number() }), 'test');
const Follow = defineEvent('certflow.test.follow.v1', z.object({ n: z.number() }), 'test');

/** What each delivery saw: its trace context, and the envelope of an event it created. */
const seen: Array<{ n: number; delivery: number; trace: TraceFields | undefined; created: CloudEvent }> = [];

@Controller()
class Handlers {
  @EventPattern<string>(S.flaky)
  async flaky(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    await new Promise((r) => setTimeout(r, 1));
    seen.push({ n: e.data.n, delivery: ctx.deliveryCount, trace: { ...currentTrace() }, created: createEvent(Follow, { n: e.data.n }, { source: 'certflow/test', subject: e.subject }) });
    if (ctx.deliveryCount < 3) throw new Error('flaky dependency down');
  }

  @EventPattern<string>(S.poison)
  async poison() {
    throw new Error('always fails');
  }
}
@Module({ controllers: [Handlers] })
class HandlersModule {}

/** One counter's value in this process's registry, or 0 when the series does not exist yet. */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await register.getSingleMetric(name)!.get();
  return metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

jest.setTimeout(20_000);

let nc: NatsConnection;
let app: INestMicroservice;
const startedAt = new Date();

beforeAll(async () => {
  nc = await connectNats({ servers: NATS_URL, name: `test/${service}` });
  await ensureStream(nc);
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const strategy = new JetStreamServer({ servers: NATS_URL, service, maxDeliver: 3, backoffMs: [20], ackWaitMs: 5_000, concurrency: 4, logger: quiet });
  app = await NestFactory.createMicroservice(HandlersModule, { strategy, logger: false });
  await app.listen();
});

afterAll(async () => {
  await app?.close();
  await cleanUpStream(nc, { servicePrefix: service, subjectPrefix: prefix, since: startedAt });
  await nc?.drain();
});

it('handles each delivery in the context of its envelope, and events created there carry its correlationid', async () => {
  const requestId = randomUUID();
  const publisher = new JetStreamPublisher(nc);
  const withCorrelation = { ...createEvent(TestEvent, { n: 1 }, { source: 'certflow/test', subject: requestId, correlationId: 'call-42' }), type: S.flaky };
  const without = { ...createEvent(TestEvent, { n: 2 }, { source: 'certflow/test', subject: 'AB'.repeat(20) }), type: S.flaky };
  await publisher.publish(withCorrelation);
  await publisher.publish(without);
  await waitFor('three deliveries of each', () => seen.filter((s) => s.delivery === 3).length === 2);

  for (const s of seen.filter((x) => x.n === 1)) {
    expect(s.trace).toEqual({ requestId, eventId: withCorrelation.id, correlationId: 'call-42' });
    expect(s.created.correlationid).toBe('call-42');
  }
  // No correlationid yet: the event's own id starts the chain. A thumbprint subject is not a request id.
  for (const s of seen.filter((x) => x.n === 2)) {
    expect(s.trace).toEqual({ eventId: without.id, correlationId: without.id });
    expect(s.created.correlationid).toBe(without.id);
  }
  expect(currentTrace()).toBeUndefined();
});

it('counts deliveries, redeliveries and dead letters per consumer', async () => {
  const flaky = consumerName(service, S.flaky);
  await waitFor('the flaky counters', async () => (await value('certflow_jetstream_deliveries_total', { consumer: flaky, redelivered: 'true' })) === 4);
  expect(await value('certflow_jetstream_deliveries_total', { consumer: flaky, redelivered: 'false' })).toBe(2);
  expect(await value('certflow_jetstream_redeliveries_total', { consumer: flaky })).toBe(4);
  expect(await value('certflow_dead_letters_total', { consumer: flaky })).toBe(0);

  const poison = consumerName(service, S.poison);
  await new JetStreamPublisher(nc).publish({ ...createEvent(TestEvent, { n: 3 }, { source: 'certflow/test', subject: randomUUID() }), type: S.poison });
  await waitFor('the dead letter', async () => (await value('certflow_dead_letters_total', { consumer: poison })) === 1);
  expect(await value('certflow_jetstream_deliveries_total', { consumer: poison, redelivered: 'false' })).toBe(1);
  expect(await value('certflow_jetstream_redeliveries_total', { consumer: poison })).toBe(2);
});
