// The Expiring view's chart: certificates by week of notAfter as inline SVG bars. The geometry is a
// pure function of the expiry summary (unit-tested without a browser); only renderExpiryChart touches
// the DOM. No imports, so the model runs in node as it is.

const SVG = 'http://www.w3.org/2000/svg';
const DAY = 86_400_000;

/** "Mar 2" in UTC: the summary's weeks are UTC instants, and a week label must not shift with the viewer's zone. */
export function shortDay(iso) {
  return new Date(iso).toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** The accessible name of one week's bar, e.g. "3 certificates expire from Mar 2 to Mar 8". */
export function weekLabel(w) {
  const last = new Date(Date.parse(w.end) - DAY).toISOString();
  const n = w.count === 1 ? '1 certificate expires' : `${w.count} certificates expire`;
  return `${n} from ${shortDay(w.start)} to ${shortDay(last)}`;
}

/**
 * Bars for `summary` = {from, days, expired, weeks: [{start, end, count}]} (GET
 * /api/v1/certificates/expiry-summary). Heights scale to the largest week, rounded up to a "nice"
 * axis maximum so the ticks are whole numbers; an empty week keeps a 0-height bar and its label.
 */
export function expiryChartModel(summary, { width = 720, height = 240, pad = { top: 24, right: 12, bottom: 44, left: 40 } } = {}) {
  const weeks = summary?.weeks ?? [];
  const total = weeks.reduce((n, w) => n + w.count, 0);
  const largest = Math.max(0, ...weeks.map((w) => w.count));
  const axisMax = niceMax(largest);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = weeks.length ? plotW / weeks.length : plotW;
  const barW = Math.max(2, slot * 0.7);
  const bars = weeks.map((w, i) => {
    const h = axisMax ? (w.count / axisMax) * plotH : 0;
    return {
      x: round(pad.left + i * slot + (slot - barW) / 2),
      y: round(pad.top + plotH - h),
      width: round(barW),
      height: round(h),
      count: w.count,
      start: w.start,
      end: w.end,
      tick: shortDay(w.start),
      label: weekLabel(w),
    };
  });
  const ticks = axisTicks(axisMax).map((v) => ({ value: v, y: round(pad.top + plotH - (axisMax ? (v / axisMax) * plotH : 0)) }));
  return { width, height, pad, plotH, baseline: pad.top + plotH, bars, ticks, total, expired: summary?.expired ?? 0, days: summary?.days ?? weeks.length * 7, axisMax };
}

/** The summary of the chart in one sentence (its SVG description, and what a screen reader hears first). */
export function expiryChartSummary(model) {
  const busiest = model.bars.reduce((b, x) => (x.count > (b?.count ?? 0) ? x : b), null);
  const parts = [`${model.total} certificate${model.total === 1 ? '' : 's'} expire${model.total === 1 ? 's' : ''} in the next ${model.days} days`];
  if (busiest) parts.push(`the busiest week starts ${busiest.tick} with ${busiest.count}`);
  if (model.expired) parts.push(`${model.expired} already expired`);
  return parts.join('; ') + '.';
}

/** 0 → 0; otherwise the smallest of 1, 2, 5 × 10^k at or above `n`, at least 4 so small counts get ticks 0..4. */
export function niceMax(n) {
  if (n <= 0) return 0;
  if (n <= 4) return 4;
  const k = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * k >= n) return m * k;
  return 10 * k;
}

/** Whole-number ticks from 0 to `max` (a niceMax: 4, or 1, 2, 5 × 10^k, so max / 5 is whole from 5 up). */
function axisTicks(max) {
  if (!max) return [0];
  const step = max === 4 ? 1 : max / 5;
  const out = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

const round = (v) => Math.round(v * 10) / 10;

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * The chart as an `<svg role="group">` named by its title and description (not role="img", which
 * would hide the bars from assistive technology); the bars are a list, each with its own accessible name, its count above it and its week's first day below. Colours and
 * type come from style.css (the CSP allows no inline style).
 */
export function renderExpiryChart(model, { id = 'expiry-chart' } = {}) {
  const title = svg('title', { id: `${id}-title` }, 'Certificates expiring per week');
  const desc = svg('desc', { id: `${id}-desc` }, expiryChartSummary(model));
  const grid = model.ticks.map((t) =>
    svg('g', { class: 'chart-tick', 'aria-hidden': 'true' },
      svg('line', { x1: model.pad.left, x2: model.width - model.pad.right, y1: t.y, y2: t.y }),
      svg('text', { x: model.pad.left - 6, y: t.y + 4, 'text-anchor': 'end' }, String(t.value))));
  const bars = model.bars.map((b, i) =>
    svg('g', { class: `chart-bar${b.count ? '' : ' chart-bar-empty'}`, role: 'listitem', 'aria-label': b.label, 'data-count': b.count, 'data-week': b.start },
      svg('title', {}, b.label),
      svg('rect', { x: b.x, y: b.y, width: b.width, height: b.height, rx: 2 }),
      svg('text', { class: 'chart-count', x: b.x + b.width / 2, y: b.y - 6, 'text-anchor': 'middle', 'aria-hidden': 'true' }, String(b.count)),
      i % 2 === 0 || model.bars.length <= 7
        ? svg('text', { class: 'chart-week', x: b.x + b.width / 2, y: model.baseline + 18, 'text-anchor': 'middle', 'aria-hidden': 'true' }, b.tick)
        : null));
  return svg('svg', { id, class: 'expiry-chart', viewBox: `0 0 ${model.width} ${model.height}`, role: 'group', 'aria-labelledby': `${id}-title ${id}-desc`, preserveAspectRatio: 'xMidYMid meet' },
    title, desc, ...grid,
    svg('line', { class: 'chart-axis', x1: model.pad.left, x2: model.width - model.pad.right, y1: model.baseline, y2: model.baseline, 'aria-hidden': 'true' }),
    svg('g', { role: 'list', 'aria-label': 'Weeks' }, ...bars));
}
