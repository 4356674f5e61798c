import { api, enc } from '../api.js';
import { fmtDate, h, hexGroups } from '../dom.js';
import { certificateDetails, errorSlot, pageHeader, pemInput, validityText, td } from '../ui.js';

const STORES = [
  ['roots', 'Trusted root CAs', 'Self-signed CA certificates that anchor every chain.', 'No trusted root CA yet.'],
  ['intermediates', 'Intermediate CAs', 'CA certificates between the roots and the certificates they issue.', 'No intermediate CA yet. Intermediates a CA sends with a certificate are used without being stored here.'],
];

/** Trust stores: roots and intermediates, with details, import and remove (with confirmation). */
export function trustPage() {
  const errors = errorSlot();
  const sections = Object.fromEntries(STORES.map(([s]) => [s, h('div', { class: 'table-box' }, h('p', { class: 'muted' }, 'Loading…'))]));
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });

  async function load() {
    await Promise.all(STORES.map(async ([store, , , none]) => {
      try {
        const { items } = await api(`/api/v1/trust/${store}`);
        sections[store].replaceChildren(items.length ? table(store, items) : h('p', { class: 'empty' }, none));
      } catch (err) {
        errors.show(err);
      }
    }));
  }

  function table(store, items) {
    return h('table', { class: 'table trust' },
      h('thead', {}, h('tr', {}, ['Subject', 'Key id', 'Expires', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, items.map((c) => {
        const detailsRow = h('tr', { class: 'details-row', hidden: true }, h('td', { colspan: '4' }, certificateDetails(c)));
        const toggle = h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'aria-expanded': 'false' }, 'Details');
        toggle.addEventListener('click', () => {
          detailsRow.hidden = !detailsRow.hidden;
          toggle.setAttribute('aria-expanded', String(!detailsRow.hidden));
        });
        const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, 'Remove');
        remove.addEventListener('click', () => confirmRemove(store, c, remove));
        return [
          h('tr', {},
            td('Subject', h('span', { class: 'strong' }, c.subject)),
            td('Key id', h('code', { class: 'mono small break' }, hexGroups(c.subjectKeyIdentifier ?? ''))),
            td('Expires', h('time', { datetime: c.notAfter }, fmtDate(c.notAfter)), h('div', { class: 'muted small' }, validityText(c))),
            h('td', { class: 'row-actions' }, toggle, remove)),
          detailsRow,
        ];
      })));
  }

  function confirmRemove(store, c, opener) {
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel', autofocus: true }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'btn btn-danger', value: 'remove' }, 'Remove');
    const err = errorSlot();
    dialog.replaceChildren(
      h('h2', { id: 'confirm-title' }, store === 'roots' ? 'Remove this trusted root?' : 'Remove this intermediate?'),
      h('p', {}, h('strong', {}, c.subject)),
      h('p', { class: 'muted small' }, 'Thumbprint ', h('code', { class: 'mono break' }, c.thumbprint)),
      h('p', {}, 'Certificates that chain to it will no longer validate; requests waiting for it stay incomplete.'),
      err.el,
      h('div', { class: 'actions' }, ok, cancel));
    cancel.addEventListener('click', () => dialog.close());
    ok.addEventListener('click', async () => {
      ok.disabled = true;
      try {
        await api(`/api/v1/trust/${store}/${enc(c.thumbprint)}`, { method: 'DELETE' });
        dialog.close();
        await load();
        document.querySelector('#main h1')?.focus();
      } catch (x) {
        err.show(x, { title: 'Remove was refused' });
        ok.disabled = false;
      }
    });
    dialog.addEventListener('close', () => opener.isConnected && opener.focus(), { once: true });
    dialog.showModal();
    cancel.focus();
  }

  const importErr = errorSlot();
  const result = h('p', { class: 'result', role: 'status' });
  const storeSel = h('select', { id: 'trust-store', name: 'store' }, STORES.map(([s, t]) => h('option', { value: s }, t)));
  const pem = pemInput({ id: 'trust-pem', label: 'CA certificates (PEM or .p7b)', hint: 'One or more PEM certificates, or a .p7b / .cer / .crt file. Roots must be self-signed CA certificates; intermediates CA certificates that are not self-signed.', accept: '.pem,.crt,.cer,.p7b,.p7c,.txt', rows: 6, required: true });
  const btn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Import');
  const form = h('form', { class: 'stack', novalidate: true, 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title' }, 'Import'),
    h('div', { class: 'field' }, h('label', { for: 'trust-store' }, 'Into the store'), storeSel), pem.el, importErr.el, result, h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    importErr.clear();
    result.textContent = '';
    if (!pem.area.value.trim()) return importErr.show({ code: 'CERTIFICATE_MISSING', message: 'Paste the CA certificate or upload its file.' });
    btn.disabled = true;
    try {
      const r = await api(`/api/v1/trust/${storeSel.value}`, { method: 'POST', json: { pem: pem.area.value } });
      result.textContent = `Imported ${r.imported.length}, already present ${r.alreadyPresent.length}. Requests waiting in Chain incomplete are validated again.`;
      pem.area.value = '';
      await load();
    } catch (x) {
      importErr.show(x, { title: 'The import was refused' });
    } finally {
      btn.disabled = false;
    }
  });

  let timer = null;
  const onEvent = (e) => {
    if (e.event === 'hello' || e.data?.type === 'certflow.trust.updated.v1') {
      clearTimeout(timer);
      timer = setTimeout(load, 200);
    }
  };

  const el = h('section', {}, pageHeader('Trust stores', 'The roots and intermediates certflow validates chains against.'), errors.el,
    h('div', { class: 'layout-side' },
      h('div', {}, STORES.map(([s, title, help]) => h('section', { class: 'panel', 'aria-labelledby': `store-${s}` }, h('h2', { id: `store-${s}` }, title), h('p', { class: 'muted' }, help), sections[s]))),
      h('aside', { class: 'panel' }, form)),
    dialog);
  load();
  return { el, onEvent, dispose: () => clearTimeout(timer) };
}
