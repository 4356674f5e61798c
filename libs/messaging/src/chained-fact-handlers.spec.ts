import { joinChainedOutcomes, takesFactBatches } from './chained-fact-handlers';
import { FACT_BATCH } from './facts/fact.pattern';

const ack = { action: 'ack' } as const;
const retry = (delayMs: number, reason: string) => ({ action: 'retry', delayMs, reason }) as const;
const fail = { action: 'fail', error: new Error('boom') } as const;

describe('chained fact handlers', () => {
  describe('when Nest joins several handlers of one subject', () => {
    it('acks a delivery only when every handler acked it, and keeps the worst outcome otherwise', () => {
      const joined = joinChainedOutcomes({ current: [ack, ack, retry(10, 'a'), ack], next: { current: [ack, retry(50, 'b'), retry(20, 'c'), fail], next: [ack, ack, ack, retry(5, 'd')] } });
      expect(joined).toEqual([ack, retry(50, 'b'), retry(20, 'a; c'), fail]);
    });

    it('refuses results that are not one outcome per delivery', () => {
      expect(joinChainedOutcomes({ current: [ack], next: [ack, ack] })).toBeUndefined();
      expect(joinChainedOutcomes(undefined)).toBeUndefined();
      expect(joinChainedOutcomes([ack])).toEqual([ack]);
    });
  });

  describe('when the handlers of a subject are declared', () => {
    const fact = { extras: { [FACT_BATCH]: true } };
    it('says whether they take batches', () => {
      expect(takesFactBatches('s', { ...fact, next: { ...fact } })).toBe(true);
      expect(takesFactBatches('s', { extras: {}, next: {} })).toBe(false);
    });
    it('refuses a mix of fact and plain handlers', () => {
      expect(() => takesFactBatches('s', { ...fact, next: { extras: {} } })).toThrow(/mix @FactPattern and @EventPattern/);
    });
  });
});
