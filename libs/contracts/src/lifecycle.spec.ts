import { parseIsoDuration } from './lifecycle';

describe('parseIsoDuration', () => {
  it.each([
    ['P30D', 30 * 86_400],
    ['P2W', 14 * 86_400],
    ['PT720H', 720 * 3_600],
    ['P1DT12H', 36 * 3_600],
    ['PT90M', 5_400],
    ['PT45S', 45],
    ['P1DT1H1M1S', 90_061],
  ])('%s is %i seconds', (text, seconds) => expect(parseIsoDuration(text)).toBe(seconds));

  it.each(['', 'P', 'PT', 'P1M', 'P1Y', '30D', 'P-1D', 'P0D', 'P1.5D', 'P1W2D', 'p30d', 'P30DT', ' P30D', 'P99999999999999999999D'])('refuses %j', (text) => {
    expect(parseIsoDuration(text)).toBeNull();
  });
});
