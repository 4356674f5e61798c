import { api, enc } from '../api.js';
import { fmtDate, h } from '../dom.js';
import { USAGES, errorSlot, pageHeader, shortThumb, usageLabel, td } from '../ui.js';

/** Host view: the host's usages, the certificate bound to each, and the history of bindings. */
export function hostPage(host) {
  const errors = errorSlot();
  const input = h('input', { id: 'host-name', name: 'host', value: host, required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'web01.corp.example.com' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find a host' },
    h('div', { class: 'field grow' }, h('label', { for: 'host-name' }, 'Host'), input),
    h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Show')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) location.hash = `#/hosts/${enc(input.value.trim().toLowerCase())}`;
  });
  const body = h('div', {});

  async function load() {
    if (!host) return;
    try {
      const v = await api(`/api/v1/hosts/${enc(host)}/assignments`);
      errors.clear();
      body.replaceChildren(
        h('section', { class: 'panel', 'aria-labelledby': 'bound-title' },
          h('h2', { id: 'bound-title' }, 'Usages'),
          h('table', { class: 'table' },
            h('thead', {}, h('tr', {}, ['Usage', 'Certificate', 'Request', 'Assigned'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, USAGES.map((u) => {
              const b = v.usages?.[u.name];
              return h('tr', {},
                td('Usage', h('span', { class: 'strong' }, u.label), h('div', { class: 'muted small' }, u.name)),
                td('Certificate', b ? h('a', { href: `#/certificates/${enc(b.thumbprint)}` }, h('code', { class: 'mono', title: b.thumbprint }, shortThumb(b.thumbprint))) : h('span', { class: 'muted' }, 'no certificate bound')),
                td('Request', b ? h('a', { href: `#/requests/${enc(b.requestId)}` }, 'status') : ''),
                td('Assigned', b ? fmtDate(b.assignedAt) : ''));
            })))),
        h('section', { class: 'panel', 'aria-labelledby': 'hist-title' },
          h('h2', { id: 'hist-title' }, 'History'),
          v.history?.length
            ? h('table', { class: 'table compact' },
                h('thead', {}, h('tr', {}, ['When', 'Usage', 'Certificate', 'Replaced', 'Request'].map((c) => h('th', { scope: 'col' }, c)))),
                h('tbody', {}, v.history.map((x) => h('tr', {},
                  td('When', fmtDate(x.assignedAt)),
                  td('Usage', usageLabel(x.usage)),
                  td('Certificate', h('code', { class: 'mono', title: x.thumbprint }, shortThumb(x.thumbprint))),
                  td('Replaced', x.replacedThumbprint ? h('code', { class: 'mono', title: x.replacedThumbprint }, shortThumb(x.replacedThumbprint)) : h('span', { class: 'muted' }, 'first binding')),
                  td('Request', h('a', { href: `#/requests/${enc(x.requestId)}` }, 'status'))))))
            : h('p', { class: 'empty' }, 'Nothing was ever assigned on this host.')),
        h('p', {}, h('a', { href: `#/requests?host=${enc(host)}` }, `All requests for ${host} →`)));
    } catch (err) {
      errors.show(err);
    }
  }

  let timer = null;
  const onEvent = (e) => {
    const d = e.data ?? {};
    if (e.event === 'hello' || (e.event === 'certflow' && d.type === 'certflow.certificate.assigned.v1' && String(d.data?.host ?? '').toLowerCase() === host)) {
      clearTimeout(timer);
      timer = setTimeout(load, 200);
    }
  };

  const el = h('section', {}, pageHeader(host ? `Host ${host}` : 'Hosts', 'Which certificate each usage of a host is bound to, and what it replaced.'), form, errors.el, body);
  load();
  return { el, onEvent, dispose: () => clearTimeout(timer) };
}
