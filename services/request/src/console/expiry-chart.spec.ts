/**
 * The Expiring view's chart geometry (assets/expiry-chart.js, a browser module with no imports):
 * what bars, labels and ticks a summary makes. The page in a browser is the console e2e's.
 */
interface Week {
  start: string;
  end: string;
  count: number;
}
interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
  tick: string;
  label: string;
}
interface Model {
  bars: Bar[];
  ticks: { value: number; y: number }[];
  total: number;
  expired: number;
  days: number;
  axisMax: number;
  baseline: number;
  plotH: number;
  pad: { top: number; left: number; right: number; bottom: number };
  width: number;
}
// A plain ES module served to the browser as it is: no type declarations to import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const chart = require('./assets/expiry-chart.js') as {
  expiryChartModel: (s: { from: string; days: number; expired: number; weeks: Week[] }, o?: { width?: number; height?: number }) => Model;
  expiryChartSummary: (m: Model) => string;
  weekLabel: (w: Week) => string;
  niceMax: (n: number) => number;
};

const DAY = 86_400_000;
const FROM = Date.parse('2026-03-02T00:00:00.000Z');
const weeks = (counts: number[]): Week[] =>
  counts.map((count, i) => ({ start: new Date(FROM + i * 7 * DAY).toISOString(), end: new Date(FROM + (i + 1) * 7 * DAY).toISOString(), count }));
const summary = (counts: number[], expired = 0) => ({ from: new Date(FROM).toISOString(), days: 90, expired, weeks: weeks(counts) });

describe('the Expiring chart', () => {
  describe('when certificates expire in some weeks', () => {
    const counts = [0, 3, 0, 0, 7, 1, 0, 0, 0, 0, 0, 0, 2];
    const m = chart.expiryChartModel(summary(counts, 4), { width: 720, height: 240 });

    it('has one bar per week, in order, with its count and the total', () => {
      expect(m.bars.map((b) => b.count)).toEqual(counts);
      expect(m.total).toBe(13);
      expect(m.expired).toBe(4);
      for (let i = 1; i < m.bars.length; i++) expect(m.bars[i].x).toBeGreaterThan(m.bars[i - 1].x);
    });

    it('scales heights to a whole-number axis: the busiest week is tallest, empty weeks are flat on the baseline', () => {
      expect(m.axisMax).toBe(10);
      expect(m.ticks.map((t) => t.value)).toEqual([0, 2, 4, 6, 8, 10]);
      const [empty, three, , , seven] = m.bars;
      expect(empty.height).toBe(0);
      expect(empty.y).toBe(m.baseline);
      expect(seven.height).toBeCloseTo(0.7 * m.plotH, 0);
      expect(three.height).toBeCloseTo(0.3 * m.plotH, 0);
      for (const b of m.bars) expect(b.y + b.height).toBeCloseTo(m.baseline, 0);
    });

    it('keeps every bar inside the plot', () => {
      for (const b of m.bars) {
        expect(b.x).toBeGreaterThanOrEqual(m.pad.left);
        expect(b.x + b.width).toBeLessThanOrEqual(m.width - m.pad.right + 0.1);
        expect(b.y).toBeGreaterThanOrEqual(m.pad.top);
      }
    });

    it('names each bar and the chart in words (UTC dates, the last day of the week inclusive)', () => {
      expect(m.bars[1].label).toBe('3 certificates expire from Mar 9 to Mar 15');
      expect(m.bars[5].label).toBe('1 certificate expires from Apr 6 to Apr 12');
      expect(m.bars[0].tick).toBe('Mar 2');
      expect(chart.expiryChartSummary(m)).toBe('13 certificates expire in the next 90 days; the busiest week starts Mar 30 with 7; 4 already expired.');
    });
  });

  describe('when nothing expires', () => {
    it('draws flat bars on one zero tick and says so', () => {
      const m = chart.expiryChartModel(summary([0, 0, 0]));
      expect(m.axisMax).toBe(0);
      expect(m.ticks.map((t) => t.value)).toEqual([0]);
      expect(m.bars.every((b) => b.height === 0)).toBe(true);
      expect(chart.expiryChartSummary(m)).toBe('0 certificates expire in the next 90 days.');
    });

    it('copes with no weeks at all', () => {
      const m = chart.expiryChartModel({ from: new Date(FROM).toISOString(), days: 90, expired: 0, weeks: [] });
      expect(m.bars).toEqual([]);
      expect(m.total).toBe(0);
    });
  });

  it.each([
    [1, 4],
    [4, 4],
    [5, 5],
    [7, 10],
    [11, 20],
    [240, 500],
    [1000, 1000],
  ])('rounds the axis maximum %d up to %d, with whole ticks', (n, max) => {
    expect(chart.niceMax(n)).toBe(max);
    const ticks = chart.expiryChartModel(summary([n])).ticks.map((t) => t.value);
    expect(ticks[ticks.length - 1]).toBe(max);
    expect(ticks.every(Number.isInteger)).toBe(true);
  });
});
