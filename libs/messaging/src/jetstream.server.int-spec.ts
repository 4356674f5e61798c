import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { randomBytes, randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import { z } from 'zod';
import { createEvent, DeadLetterV1, defineEvent, STREAM_NAME, type CloudEvent } from '@certflow/contracts';
import { JetStreamFailureInterceptor } from './jetstream-failure.interceptor';
import { JetStreamContext } from './jetstream.context';
import { JetStreamPublisher } from './jetstream.publisher';
import { JetStreamServer } from './jetstream.server';
import { cleanUpStream, readStream, sleep, waitFor } from './jetstream.test-kit';
import type { MessagingLogger } from './messaging.logger';
import { connectNats, ensureStream } from './nats.connection';
import type { NatsConnection } from './nats.types';
import { RetryLaterError } from './retry-later.error';
import { FactPattern } from './facts/fact.pattern';
import type { FactBatch } from './facts/fact.processor';
import type { FactOutcome } from './facts/fact.handler';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const run = randomBytes(4).toString('hex');
const service = `test-msg-${run}`;
const prefix = `certflow.test.${run}`;
const S = {
  dup: `${prefix}.dup.v1`,
  flaky: `${prefix}.flaky.v1`,
  broken: `${prefix}.broken.v1`,
  later: `${prefix}.later.v1`,
  poison: `${prefix}.poison.v1`,
  stream$: `${prefix}.observable.v1`,
  catchUp: `${prefix}.catch-up.v1`,
  chained: `${prefix}.chained.v1`,
  mixed: `${prefix}.mixed.v1`,
};
const TestEvent = defineEvent('certflow.test.any.v1', z.object({ n: z.number(), fail: z.boolean().optional() }), 'test');
const event = (subject: string, n: number, fail = false): CloudEvent =>
  ({ ...createEvent(TestEvent, { n, fail }, { source: 'certflow/test', subject: `req-${n}` }), type: subject }) as CloudEvent;

/** Every delivery a handler saw: subject, event id, delivery count. */
const deliveries: Array<{ subject: string; id: string; n: number; delivery: number }> = [];
const seen = (subject: string, id?: string) => deliveries.filter((d) => d.subject === subject && (!id || d.id === id));
const record = (e: CloudEvent<string, { n: number }>, ctx: JetStreamContext) =>
  deliveries.push({ subject: ctx.subject, id: e.id, n: e.data.n, delivery: ctx.deliveryCount });

@Controller()
class Handlers {
  @EventPattern<string>(S.dup)
  async dup(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    record(e, ctx);
  }

  @EventPattern<string>(S.flaky)
  async flaky(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    record(e, ctx);
    if (ctx.deliveryCount < 3) throw new Error('flaky dependency down');
  }

  @EventPattern<string>(S.broken)
  async broken(@Payload() e: CloudEvent<string, { n: number; fail?: boolean }>, @Ctx() ctx: JetStreamContext) {
    record(e, ctx);
    if (e.data.fail) throw new Error(`cannot handle event ${e.data.n}`);
  }

  @EventPattern<string>(S.later)
  async later(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    record(e, ctx);
    if (ctx.deliveryCount < 3) throw new RetryLaterError('the chain is not validated yet', 30);
  }

  @EventPattern<string>(S.poison)
  async poison(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    record(e, ctx);
  }

  @EventPattern<string>(S.stream$)
  observable(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    record(e, ctx);
    return new Observable((sub) => {
      setTimeout(() => (ctx.deliveryCount === 1 ? sub.error(new Error('stream failed')) : sub.complete()), 10);
    });
  }
}

/** What each fact handler was handed: whether a batch, and per delivery the event's n and delivery count. */
const factCalls: Array<{ who: string; subject: string; n: number; delivery: number }> = [];
/** Handler `late` is not ready on an event's first delivery; the others always are. */
function factOutcomes(who: string, subject: string, batch: FactBatch): FactOutcome[] {
  return batch.deliveries.map((d) => {
    factCalls.push({ who, subject, n: (d.payload as CloudEvent<string, { n: number }>).data.n, delivery: d.deliveryCount });
    return who === 'late' && d.deliveryCount < 2 ? { action: 'retry', delayMs: 20, reason: 'not yet' } : { action: 'ack' };
  });
}
const Chained = defineEvent(S.chained, TestEvent.schema, 'test');
const Mixed = defineEvent(S.mixed, TestEvent.schema, 'test');

// Two controllers' fact handlers of one subject, and a subject shared by a fact handler and a plain one.
@Controller()
class EagerFacts {
  @FactPattern(Chained)
  chained(@Payload() b: FactBatch) {
    return factOutcomes('eager', S.chained, b);
  }
}
@Controller()
class LateFacts {
  @FactPattern(Chained)
  chained(@Payload() b: FactBatch) {
    return factOutcomes('late', S.chained, b);
  }
  @FactPattern(Mixed)
  mixed(@Payload() b: FactBatch) {
    return factOutcomes('late', S.mixed, b);
  }
}
@Controller()
class PlainOfMixed {
  @EventPattern<string>(S.mixed)
  async mixed(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    record(e, ctx);
  }
}

@Module({ controllers: [Handlers, EagerFacts, LateFacts, PlainOfMixed], providers: [{ provide: APP_INTERCEPTOR, useClass: JetStreamFailureInterceptor }] })
class HandlersModule {}

let inFlight = 0;
let maxInFlight = 0;
@Controller()
class CatchUpHandlers {
  @EventPattern<string>(S.catchUp)
  async catchUp(@Payload() e: CloudEvent<string, { n: number }>, @Ctx() ctx: JetStreamContext) {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await sleep(100);
    record(e, ctx);
    inFlight--;
  }
}
@Module({ controllers: [CatchUpHandlers] })
class CatchUpModule {}

@Controller()
class WildcardHandlers {
  @EventPattern<string>(`${prefix}.*`)
  async any() {}
}
@Module({ controllers: [WildcardHandlers] })
class WildcardModule {}

/** A logger that keeps its lines, so a test can check the levels used. */
function captureLogger(): MessagingLogger & { lines: Array<{ level: string; fields: unknown; msg: unknown }> } {
  const lines: Array<{ level: string; fields: unknown; msg: unknown }> = [];
  const at = (level: string) => (fields: unknown, msg?: unknown) => lines.push({ level, fields, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const MAX_DELIVER = 3;
const startedAt = new Date();
const logger = captureLogger();
let nc: NatsConnection;
let publisher: JetStreamPublisher;
let app: INestMicroservice;
const deadLetters: Array<CloudEvent<string, { consumer: string; originalSubject: string; originalId?: string; deliveries: number; error: string; payload: string }>> = [];

async function startApp(module: Type<unknown>, svc: string, concurrency: number, maxDeliver = MAX_DELIVER): Promise<INestMicroservice> {
  const strategy = new JetStreamServer({ servers: NATS_URL, service: svc, maxDeliver, backoffMs: [20, 50], ackWaitMs: 5_000, concurrency, logger });
  const instance = await NestFactory.createMicroservice(module, { strategy, logger: false });
  await instance.listen();
  return instance;
}

jest.setTimeout(20_000);

beforeAll(async () => {
  nc = await connectNats({ servers: NATS_URL, name: `test/${service}` });
  await ensureStream(nc);
  publisher = new JetStreamPublisher(nc);
  nc.subscribe(DeadLetterV1.subject, {
    callback: (err, msg) => {
      if (err) return;
      const dl = JSON.parse(msg.string()) as (typeof deadLetters)[number];
      if (dl.data.consumer.startsWith(service)) deadLetters.push(dl);
    },
  });
  await nc.flush();
  app = await startApp(HandlersModule, service, 1);
});

afterAll(async () => {
  await app?.close();
  if (nc) {
    await cleanUpStream(nc, { servicePrefix: service, subjectPrefix: prefix, since: startedAt }).catch(() => undefined);
    await nc.drain();
  }
});

describe('JetStreamServer', () => {
  it('creates one durable consumer per handler, named <service>--<subject>', async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info(STREAM_NAME, `${service}--${S.flaky.replace(/\./g, '_')}`);
    expect(info.config).toMatchObject({ durable_name: `${service}--certflow_test_${run}_flaky_v1`, filter_subject: S.flaky, ack_policy: 'explicit', deliver_policy: 'all' });
  });

  describe('when the same event is published twice', () => {
    it('JetStream drops the second copy (same Nats-Msg-Id) and the handler runs once', async () => {
      const e = event(S.dup, 1);
      const first = await publisher.publish(e);
      const second = await publisher.publish(e);
      expect(first.duplicate).toBe(false);
      expect(second).toEqual({ seq: first.seq, duplicate: true });
      await waitFor('the delivery', () => seen(S.dup).length === 1);
      await sleep(300);
      expect(seen(S.dup)).toHaveLength(1);
      const stored = await readStream(nc, S.dup);
      expect(stored.map((m) => m.msgId)).toEqual([e.id]);
    });
  });

  describe('when a handler fails twice, then succeeds', () => {
    it('redelivers the event until it succeeds, then acks it', async () => {
      const e = event(S.flaky, 2);
      await publisher.publish(e);
      await waitFor('the third delivery', () => seen(S.flaky, e.id).length === 3);
      await sleep(300);
      expect(seen(S.flaky, e.id).map((d) => d.delivery)).toEqual([1, 2, 3]);
      const jsm = await jetstreamManager(nc);
      const info = await jsm.consumers.info(STREAM_NAME, `${service}--${S.flaky.replace(/\./g, '_')}`);
      expect(info.num_ack_pending).toBe(0);
      expect(info.num_pending).toBe(0);
      expect(deadLetters.filter((d) => d.data.originalId === e.id)).toEqual([]);
    });
  });

  describe('when a handler fails on every delivery', () => {
    it('dead-letters the event after maxDeliver attempts, and the events behind it still flow', async () => {
      const bad = event(S.broken, 3, true);
      const good = event(S.broken, 4);
      await publisher.publish(bad);
      await publisher.publish(good);
      const dl = await waitFor('the dead letter', () => deadLetters.find((d) => d.data.originalId === bad.id));
      expect(dl.type).toBe('certflow.deadletter.v1');
      expect(dl.source).toBe(`certflow/${service}`);
      expect(dl.subject).toBe(bad.subject);
      expect(dl.data).toMatchObject({ consumer: `${service}--certflow_test_${run}_broken_v1`, originalSubject: S.broken, deliveries: MAX_DELIVER });
      expect(dl.data.error).toContain('cannot handle event 3');
      expect(JSON.parse(dl.data.payload)).toEqual(bad);
      expect(seen(S.broken, bad.id).map((d) => d.delivery)).toEqual([1, 2, 3]);
      expect(seen(S.broken, good.id)).toHaveLength(1);

      const after = event(S.broken, 5);
      await publisher.publish(after);
      await waitFor('an event published after the dead letter', () => seen(S.broken, after.id).length === 1);
      await sleep(200);
      expect(seen(S.broken, bad.id)).toHaveLength(MAX_DELIVER);
    });
  });

  describe('when a handler throws RetryLaterError', () => {
    it('redelivers after its delay, logging at debug and never at error', async () => {
      const e = event(S.later, 6);
      await publisher.publish(e);
      await waitFor('the third delivery', () => seen(S.later, e.id).length === 3);
      await sleep(200);
      const mine = logger.lines.filter((l) => (l.fields as { subject?: string })?.subject === S.later);
      expect(mine.filter((l) => l.level === 'debug').map((l) => l.msg)).toEqual([
        'not ready, retrying later: the chain is not validated yet',
        'not ready, retrying later: the chain is not validated yet',
        'event handled',
      ]);
      expect(mine.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
      expect(deadLetters.filter((d) => d.data.originalId === e.id)).toEqual([]);
    });
  });

  describe('when a handler returns an observable', () => {
    it('treats its error as a failure and its completion as success', async () => {
      const e = event(S.stream$, 7);
      await publisher.publish(e);
      await waitFor('the redelivery', () => seen(S.stream$, e.id).length === 2);
      await sleep(200);
      expect(seen(S.stream$, e.id).map((d) => d.delivery)).toEqual([1, 2]);
    });
  });

  describe('when two controllers have fact handlers for one subject', () => {
    it('hands each the batch and acks only when both did: one not ready sends the message round again to both', async () => {
      await publisher.publish(event(S.chained, 41));
      await waitFor('the second delivery', () => factCalls.filter((c) => c.subject === S.chained && c.delivery === 2).length === 2);
      await sleep(300);
      const calls = factCalls.filter((c) => c.subject === S.chained).map(({ who, n, delivery }) => `${who}:${n}:${delivery}`);
      expect(calls.sort()).toEqual(['eager:41:1', 'eager:41:2', 'late:41:1', 'late:41:2']);
    });
  });

  describe('when a fact handler and a plain handler share a subject', () => {
    it('hands the fact handler a batch of one and the plain one the message; "retry" redelivers to both', async () => {
      await publisher.publish(event(S.mixed, 42));
      await waitFor('the second delivery', () => seen(S.mixed).length === 2);
      await sleep(300);
      expect(factCalls.filter((c) => c.subject === S.mixed).map((c) => c.delivery)).toEqual([1, 2]);
      expect(seen(S.mixed).map((d) => [d.n, d.delivery])).toEqual([[42, 1], [42, 2]]);
    });
  });

  describe('when a body is not JSON', () => {
    it('dead-letters it at once without calling the handler', async () => {
      const id = randomUUID();
      await jetstream(nc).publish(S.poison, 'this is {not json', { msgID: id });
      const dl = await waitFor('the dead letter', () => deadLetters.find((d) => d.data.originalId === id));
      expect(dl.data).toMatchObject({ originalSubject: S.poison, deliveries: 1, payload: 'this is {not json' });
      expect(dl.data.error).toMatch(/not JSON/);
      expect(dl.subject).toBe('');
      expect(seen(S.poison)).toEqual([]);
    });
  });

  describe('when events are published while the service is down', () => {
    it('delivers them once it starts again, at most `concurrency` at a time', async () => {
      const lateService = `${service}-late`;
      const first = await startApp(CatchUpModule, lateService, 3);
      await first.close();

      const events = Array.from({ length: 9 }, (_, i) => event(S.catchUp, 100 + i));
      for (const e of events) await publisher.publish(e);
      await sleep(200);
      expect(seen(S.catchUp)).toEqual([]);

      const second = await startApp(CatchUpModule, lateService, 3);
      try {
        await waitFor('all nine events', () => seen(S.catchUp).length === 9);
        expect(new Set(seen(S.catchUp).map((d) => d.id))).toEqual(new Set(events.map((e) => e.id)));
        expect(maxInFlight).toBe(3);
      } finally {
        await second.close();
      }
    });
  });

  describe('when a service restarts with other limits', () => {
    it("updates its consumers' max_deliver (one reserved extra delivery) and ack_wait", async () => {
      const svc = `${service}-limits`;
      const name = `${svc}--${S.catchUp.replace(/\./g, '_')}`;
      const jsm = await jetstreamManager(nc);
      await (await startApp(CatchUpModule, svc, 1, 3)).close();
      expect((await jsm.consumers.info(STREAM_NAME, name)).config).toMatchObject({ max_deliver: 4, ack_wait: 5_000_000_000 });
      await (await startApp(CatchUpModule, svc, 1, 7)).close();
      expect((await jsm.consumers.info(STREAM_NAME, name)).config).toMatchObject({ max_deliver: 8, filter_subject: S.catchUp });
    });
  });

  describe('when listen fails', () => {
    it('reports an unreachable server', async () => {
      const strategy = new JetStreamServer({ servers: 'nats://127.0.0.1:1', service: `${service}-down`, logger });
      const err = await new Promise((resolve) => strategy.listen((e?: unknown) => resolve(e)));
      expect(err).toBeInstanceOf(Error);
    });

    it('closes the connection it opened when a consumer cannot be set up (else jest would never exit)', async () => {
      await expect(startApp(WildcardModule, `${service}-wild`, 1)).rejects.toThrow(/consumer name/);
    });
  });
});
