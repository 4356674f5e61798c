import { api, enc } from '../api.js';
import { fmtDate, h, relTime } from '../dom.js';
import { parseHash } from '../route.js';
import { ATTENTION, STATES, STATE_LABEL, badge, errorSlot, needsPerson, pageHeader, shortThumb, td } from '../ui.js';

const PAGE = 25;

/** Requests: filters (state, host, issuer), counts per state, paging; what needs a person stands out. */
export function requestsPage() {
  const { query } = parseHash();
  const filters = { state: query.get('state') ?? '', host: query.get('host') ?? '', issuer: query.get('issuer') ?? '' };
  const cursors = [null];
  let page = 0;
  const errors = errorSlot();
  const countsBox = h('div', { class: 'counts', 'aria-live': 'polite' });
  const attention = h('div', { class: 'attention-slot' });
  const tableBox = h('div', { class: 'table-box' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });

  const stateSel = h('select', { id: 'f-state', name: 'state' }, h('option', { value: '' }, 'Any state'), STATES.map((s) => h('option', { value: s }, STATE_LABEL[s])));
  stateSel.value = filters.state;
  const hostIn = h('input', { id: 'f-host', name: 'host', type: 'search', value: filters.host, placeholder: 'web01.corp.example.com', autocomplete: 'off', spellcheck: 'false' });
  const issuerSel = h('select', { id: 'f-issuer', name: 'issuer' }, h('option', { value: '' }, 'Any issuer'));
  api('/api/v1/issuers')
    .then(({ items }) => {
      for (const i of items) issuerSel.append(h('option', { value: i.name }, `${i.name} (${i.type})`));
      issuerSel.value = filters.issuer;
    })
    .catch(() => undefined);

  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter requests' },
    h('div', { class: 'field' }, h('label', { for: 'f-state' }, 'State'), stateSel),
    h('div', { class: 'field' }, h('label', { for: 'f-host' }, 'Host'), hostIn),
    h('div', { class: 'field' }, h('label', { for: 'f-issuer' }, 'Issuer'), issuerSel),
    h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Filter'), h('a', { href: '#/requests', class: 'btn btn-quiet' }, 'Clear')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/requests${qs({ state: stateSel.value, host: hostIn.value.trim(), issuer: issuerSel.value })}`;
  });

  async function loadCounts() {
    const { counts, total } = await api(`/api/v1/requests/counts${qs({ host: filters.host, issuer: filters.issuer })}`);
    countsBox.replaceChildren(
      h('h2', { class: 'visually-hidden' }, 'Requests per state'),
      h(
        'ul',
        { class: 'count-list' },
        h('li', {}, h('a', { href: `#/requests${qs({ host: filters.host, issuer: filters.issuer })}`, class: `count${filters.state ? '' : ' count-active'}`, 'aria-current': filters.state ? undefined : 'true' }, h('span', { class: 'count-n' }, String(total)), h('span', { class: 'count-label' }, 'All'))),
        STATES.map((s) =>
          h('li', {}, h('a', {
            href: `#/requests${qs({ state: s, host: filters.host, issuer: filters.issuer })}`,
            class: `count count-${s.toLowerCase().replace('_', '-')}${ATTENTION.includes(s) && counts[s] > 0 ? ' count-attention' : ''}${filters.state === s ? ' count-active' : ''}`,
            'aria-current': filters.state === s ? 'true' : undefined,
          }, h('span', { class: 'count-n' }, String(counts[s] ?? 0)), h('span', { class: 'count-label' }, STATE_LABEL[s]))),
        ),
      ),
    );
    const waiting = ATTENTION.reduce((n, s) => n + counts[s], 0);
    attention.replaceChildren(
      waiting
        ? h('p', { class: 'alert alert-warn' }, h('strong', {}, `${waiting} request${waiting === 1 ? ' needs' : 's need'} a person: `),
            [
              counts.CHAIN_INCOMPLETE ? h('a', { href: `#/requests${qs({ state: 'CHAIN_INCOMPLETE', host: filters.host, issuer: filters.issuer })}` }, `${counts.CHAIN_INCOMPLETE} chain incomplete`) : null,
              counts.ASSIGNABLE ? h('a', { href: `#/requests${qs({ state: 'ASSIGNABLE', host: filters.host, issuer: filters.issuer })}` }, `${counts.ASSIGNABLE} waiting for Assign`) : null,
              counts.FAILED ? h('a', { href: `#/requests${qs({ state: 'FAILED', host: filters.host, issuer: filters.issuer })}` }, `${counts.FAILED} failed`) : null,
            ].filter(Boolean).flatMap((a, i) => (i ? [', ', a] : [a])))
        : [],
    );
  }

  async function loadList() {
    const data = await api(`/api/v1/requests${qs({ ...filters, limit: String(PAGE), cursor: cursors[page] ?? '' })}`);
    cursors[page + 1] = data.nextCursor;
    if (!data.items.length) {
      tableBox.replaceChildren(h('p', { class: 'empty' }, page ? 'No more requests.' : 'No requests match. ', page ? null : h('a', { href: '#/new' }, 'Make a new request.')));
    } else {
      tableBox.replaceChildren(
        h('table', { class: 'table requests' },
          h('caption', { class: 'visually-hidden' }, 'Certificate requests, newest first'),
          h('thead', {}, h('tr', {}, ['Host', 'State', 'Issuer', 'Thumbprint', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, data.items.map(row)),
        ),
      );
    }
    pager.replaceChildren(
      h('span', { class: 'muted' }, `Page ${page + 1}`),
      h('button', { type: 'button', class: 'btn btn-quiet', disabled: page === 0, onclick: () => go(page - 1) }, '← Newer'),
      h('button', { type: 'button', class: 'btn btn-quiet', disabled: !data.nextCursor, onclick: () => go(page + 1) }, 'Older →'),
    );
  }

  function row(r) {
    const need = needsPerson(r);
    return h('tr', { class: need ? 'needs-person' : undefined },
      td('Host', h('a', { href: `#/requests/${enc(r.id)}`, class: 'strong' }, r.host), r.friendlyName ? h('div', { class: 'muted small' }, r.friendlyName) : null),
      td('State', badge(r.state), need ? h('div', { class: 'need small' }, need) : null),
      td('Issuer', r.issuer),
      td('Thumbprint', r.thumbprint ? h('code', { class: 'mono', title: r.thumbprint }, shortThumb(r.thumbprint)) : h('span', { class: 'muted' }, '—')),
      td('Updated', h('time', { datetime: r.updatedAt, title: fmtDate(r.updatedAt) }, relTime(r.updatedAt))),
    );
  }

  async function go(p) {
    page = p;
    await load();
    tableBox.querySelector('a')?.focus();
  }

  async function load() {
    try {
      await Promise.all([loadCounts(), loadList()]);
      errors.clear();
    } catch (err) {
      errors.show(err);
    }
  }

  let timer = null;
  const onEvent = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  };

  const el = h('section', {},
    pageHeader('Certificate requests', 'Newest first. States that need a person are highlighted.', h('a', { href: '#/new', class: 'btn btn-primary' }, 'New request')),
    countsBox, attention, form, errors.el, tableBox, pager);
  load();
  return { el, onEvent, dispose: () => clearTimeout(timer) };
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}
