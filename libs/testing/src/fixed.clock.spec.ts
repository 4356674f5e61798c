import { fixedClock } from './fixed.clock';

describe('fixedClock', () => {
  it('stands still, then moves only when told', () => {
    const clock = fixedClock('2030-01-01T00:00:00Z');
    const first = clock.now();
    expect(first.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    first.setFullYear(1999);
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');
    clock.advance(1000);
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:01.000Z');
    clock.set('2031-05-05T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2031-05-05T00:00:00.000Z');
  });

  it('refuses a string that is not a date', () => {
    expect(() => fixedClock('tomorrow')).toThrow(/not a date/);
  });
});
