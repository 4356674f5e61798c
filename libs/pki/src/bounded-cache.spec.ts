import { BoundedCache } from './bounded-cache';

describe('BoundedCache', () => {
  it('drops the entry stored longest ago when one more is stored', () => {
    const c = new BoundedCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    expect(c.get('a')).toBeUndefined();
    expect([c.get('b'), c.get('c'), c.size]).toEqual([2, 3, 2]);
  });

  it('moves a key stored again to newest, without dropping anything', () => {
    const c = new BoundedCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('a', 10);
    expect(c.size).toBe(2);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([10, undefined, 3]);
  });

  it('does not reorder on a hit: first in, first out', () => {
    const c = new BoundedCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect(c.get('a')).toBeUndefined();
  });

  it('getOrSet computes once per key held, and null is a value', () => {
    const c = new BoundedCache<string, string | null>(4);
    let calls = 0;
    const compute = () => (calls++, null);
    expect(c.getOrSet('k', compute)).toBeNull();
    expect(c.getOrSet('k', compute)).toBeNull();
    expect(calls).toBe(1);
  });

  it('never holds more than its capacity', () => {
    const c = new BoundedCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) c.set(i, i);
    expect(c.size).toBe(100);
    expect(c.get(9_899)).toBeUndefined();
    expect(c.get(9_900)).toBe(9_900);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedCache(0)).toThrow(/at least 1/);
    expect(() => new BoundedCache(1.5)).toThrow(/at least 1/);
  });
});
