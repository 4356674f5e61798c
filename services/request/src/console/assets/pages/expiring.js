import { api, enc } from '../api.js';
import { fmtDate, h, relTime } from '../dom.js';
import { expiryChartModel, expiryChartSummary, renderExpiryChart, shortDay } from '../expiry-chart.js';
import { errorSlot, pageHeader, renewalTag, shortThumb, td } from '../ui.js';

const DAYS = 90;
/** How many of the soonest-expiring certificates the list shows. */
const SOONEST = 25;

/**
 * Expiring: active certificates by week of notAfter for the next 90 days, as a bar chart and as
 * the same numbers in a table (GET /api/v1/certificates/expiry-summary), then the soonest-expiring
 * certificates with their renewal state (the inventory, soonest first). Reloads on lifecycle events.
 */
export function expiringPage() {
  const errors = errorSlot();
  const summaryBox = h('section', { class: 'panel', 'aria-labelledby': 'expiry-title', id: 'expiry-summary' }, h('h2', { id: 'expiry-title' }, `Next ${DAYS} days`), h('p', { class: 'muted' }, 'Loading…'));
  const listBox = h('section', { class: 'panel', 'aria-labelledby': 'soonest-title', id: 'soonest' }, h('h2', { id: 'soonest-title' }, 'Soonest to expire'), h('p', { class: 'muted' }, 'Loading…'));

  function renderSummary(s) {
    const model = expiryChartModel(s);
    summaryBox.replaceChildren(
      h('h2', { id: 'expiry-title' }, `Next ${DAYS} days`),
      h('ul', { class: 'count-list' },
        h('li', {}, h('div', { class: 'count', id: 'expiring-total' }, h('span', { class: 'count-n' }, String(model.total)), h('span', { class: 'count-label' }, `Expiring within ${s.days} days`))),
        h('li', {}, h('div', { class: `count${s.expired ? ' count-attention' : ''}`, id: 'expired-total' }, h('span', { class: 'count-n' }, String(s.expired)), h('span', { class: 'count-label' }, 'Already expired')))),
      h('p', { class: 'visually-hidden', id: 'expiry-chart-sentence' }, expiryChartSummary(model)),
      h('figure', { class: 'chart-figure' }, renderExpiryChart(model), h('figcaption', { class: 'muted small' }, `Active certificates by week of expiry, from ${fmtDate(s.from)}. Superseded certificates are not counted.`)),
      h('details', { class: 'chart-table' },
        h('summary', {}, 'The numbers as a table'),
        h('table', { class: 'table compact', id: 'expiry-weeks' },
          h('caption', { class: 'visually-hidden' }, 'Certificates expiring per week'),
          h('thead', {}, h('tr', {}, ['Week from', 'Until', 'Certificates'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, s.weeks.map((w) => h('tr', {}, td('Week from', shortDay(w.start)), td('Until', shortDay(new Date(Date.parse(w.end) - 86_400_000).toISOString())), td('Certificates', String(w.count)))))))
    );
  }

  function renderList(items) {
    if (!items.length) return listBox.replaceChildren(h('h2', { id: 'soonest-title' }, 'Soonest to expire'), h('p', { class: 'empty' }, 'No active certificate.'));
    listBox.replaceChildren(
      h('h2', { id: 'soonest-title' }, 'Soonest to expire'),
      h('table', { class: 'table', id: 'soonest-table' },
        h('caption', { class: 'visually-hidden' }, 'Certificates, soonest expiry first'),
        h('thead', {}, h('tr', {}, ['Host', 'Expires', 'Issuer', 'Thumbprint', 'Renewal'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, items.map((c) => h('tr', { class: c.renewal?.state === 'overdue' || c.renewal?.state === 'failed' ? 'needs-person' : undefined },
          td('Host', h('a', { href: `#/requests/${enc(c.requestId)}`, class: 'strong' }, c.host)),
          td('Expires', h('time', { datetime: c.notAfter, title: fmtDate(c.notAfter) }, relTime(c.notAfter))),
          td('Issuer', c.issuer),
          td('Thumbprint', h('code', { class: 'mono', title: c.thumbprint }, shortThumb(c.thumbprint))),
          td('Renewal', renewalTag(c.renewal), c.renewal?.dueAt ? h('div', { class: 'muted small' }, `due ${fmtDate(c.renewal.dueAt)}`) : null,
            c.renewal?.requestId ? h('div', { class: 'small' }, h('a', { href: `#/requests/${enc(c.renewal.requestId)}` }, 'renewal request')) : null),
        )))),
    );
  }

  async function load() {
    try {
      const [summary, soonest] = await Promise.all([
        api(`/api/v1/certificates/expiry-summary?days=${DAYS}`),
        api(`/api/v1/certificates?status=active&limit=${SOONEST}`),
      ]);
      errors.clear();
      renderSummary(summary);
      renderList(soonest.items);
    } catch (err) {
      errors.show(err, { title: 'Could not load the expiring certificates' });
    }
  }

  let timer = null;
  const onEvent = (e) => {
    const type = e.data?.type ?? '';
    if (e.event !== 'hello' && e.event !== 'request.updated' && !/^certflow\.certificate\./.test(type)) return;
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  };

  const el = h('section', { class: 'expiring' }, pageHeader('Expiring certificates', `Active certificates by week of expiry, and the soonest to expire with their renewal.`), errors.el, summaryBox, listBox);
  load();
  return { el, onEvent, dispose: () => clearTimeout(timer) };
}
