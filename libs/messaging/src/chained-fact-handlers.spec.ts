import { runFactHandlers, runMixedHandlers, unchain, worse, type NestEventHandler } from './chained-fact-handlers';
import type { FactOutcome } from './facts/fact.handler';
import { FACT_BATCH } from './facts/fact.pattern';
import { RetryLaterError } from './retry-later.error';

const ack = { action: 'ack' } as const;
const retry = (delayMs: number, reason: string) => ({ action: 'retry', delayMs, reason }) as const;
const fail = { action: 'fail', error: new Error('boom') } as const;

/** A handler as Nest registers it, recording what it was called with. */
function handler(kind: 'fact' | 'plain', answer: (arg: unknown) => unknown, calls: unknown[] = []): NestEventHandler {
  const h = (async (arg: unknown) => {
    calls.push(arg);
    return answer(arg);
  }) as NestEventHandler;
  h.extras = kind === 'fact' ? { [FACT_BATCH]: true } : {};
  return h;
}
const batchOf = (n: number) => ({ deliveries: Array.from({ length: n }, (_, i) => ({ payload: { i }, deliveryCount: 1 })) });

describe('several handlers of one subject', () => {
  describe('when Nest chained them', () => {
    it('unlinks them, head first, so each runs alone', () => {
      const [a, b, c] = [handler('fact', () => []), handler('plain', () => undefined), handler('fact', () => [])];
      a.next = b;
      b.next = c;
      expect(unchain(a)).toEqual([a, b, c]);
      expect([a.next, b.next, c.next]).toEqual([undefined, undefined, undefined]);
    });
  });

  describe('when all are fact handlers', () => {
    it('hands each the batch and acks a delivery only when every handler acked it, keeping the worst outcome otherwise', async () => {
      const calls: unknown[] = [];
      const outcomes: FactOutcome[][] = [
        [ack, ack, retry(10, 'a'), ack],
        [ack, retry(50, 'b'), retry(20, 'c'), fail],
        [ack, ack, ack, retry(5, 'd')],
      ];
      const handlers = outcomes.map((o) => handler('fact', () => o, calls));
      const batch = batchOf(4);
      expect(await runFactHandlers('s', handlers, batch)).toEqual([ack, retry(50, 'b'), retry(20, 'a; c'), fail]);
      expect(calls).toEqual([batch, batch, batch]);
    });

    it('refuses a handler that does not give one outcome per delivery', async () => {
      await expect(runFactHandlers('s', [handler('fact', () => [ack])], batchOf(2))).rejects.toThrow(/no outcome per delivery/);
    });
  });

  describe('when fact handlers and plain handlers share a subject', () => {
    it('hands a fact handler a batch of one and a plain handler the message', async () => {
      const factCalls: unknown[] = [];
      const plainCalls: unknown[] = [];
      await runMixedHandlers('s', [handler('fact', () => [ack], factCalls), handler('plain', () => undefined, plainCalls)], { x: 1 }, { deliveryCount: 3 });
      expect(factCalls).toEqual([{ deliveries: [{ payload: { x: 1 }, deliveryCount: 3 }] }]);
      expect(plainCalls).toEqual([{ x: 1 }]);
    });

    it('turns a fact handler\'s "retry" into RetryLaterError and its "fail" into its error', async () => {
      await expect(runMixedHandlers('s', [handler('fact', () => [retry(70, 'not yet')])], {}, { deliveryCount: 1 })).rejects.toEqual(expect.any(RetryLaterError));
      await expect(runMixedHandlers('s', [handler('fact', () => [fail])], {}, { deliveryCount: 1 })).rejects.toThrow('boom');
    });
  });

  it('ranks outcomes: fail over retry over ack', () => {
    expect(worse(ack, retry(1, 'r'))).toEqual(retry(1, 'r'));
    expect(worse(fail, retry(1, 'r'))).toBe(fail);
    expect(worse(ack, ack)).toBe(ack);
  });
});
