import { StreamCounts } from './console-stream.limits';

describe('StreamCounts', () => {
  describe('when a token opens streams up to its cap', () => {
    it('refuses the next one with the per-token cap and takes nothing for it', () => {
      const counts = new StreamCounts({ perToken: 2, total: 10 });
      expect(counts.tryAcquire('a')).toBeNull();
      expect(counts.tryAcquire('a')).toBeNull();
      expect(counts.tryAcquire('a')).toEqual({ limit: 'per_token', max: 2 });
      expect([counts.countFor('a'), counts.size]).toEqual([2, 2]);
    });

    it('still lets another token open', () => {
      const counts = new StreamCounts({ perToken: 1, total: 10 });
      expect(counts.tryAcquire('a')).toBeNull();
      expect(counts.tryAcquire('b')).toBeNull();
      expect(counts.size).toBe(2);
    });

    it('lets it open again once one of its streams is released', () => {
      const counts = new StreamCounts({ perToken: 1, total: 10 });
      counts.tryAcquire('a');
      counts.release('a');
      expect(counts.tryAcquire('a')).toBeNull();
      expect(counts.countFor('a')).toBe(1);
    });
  });

  describe('when the instance is at its total cap', () => {
    it('refuses every token with the total cap', () => {
      const counts = new StreamCounts({ perToken: 5, total: 3 });
      for (const k of ['a', 'b', 'c']) expect(counts.tryAcquire(k)).toBeNull();
      expect(counts.tryAcquire('d')).toEqual({ limit: 'total', max: 3 });
      expect(counts.tryAcquire('a')).toEqual({ limit: 'total', max: 3 });
      expect(counts.size).toBe(3);
    });
  });

  describe('when a release has no matching acquire', () => {
    it('changes nothing, so a double release cannot free a slot it did not hold', () => {
      const counts = new StreamCounts({ perToken: 1, total: 1 });
      counts.tryAcquire('a');
      counts.release('b');
      counts.release('a');
      counts.release('a');
      expect(counts.size).toBe(0);
      expect(counts.tryAcquire('a')).toBeNull();
      expect(counts.tryAcquire('b')).toEqual({ limit: 'total', max: 1 });
    });
  });
});
