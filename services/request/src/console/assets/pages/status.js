import { api, enc } from '../api.js';
import { append, copyButton, fmtDate, h, hexGroups, relTime } from '../dom.js';
import { renewalPanel } from './status-renewal.js';
import { STATE_LABEL, USAGES, badge, certificateDetails, errorSlot, mono, pageHeader, pemInput, usageLabel, td } from '../ui.js';

const STEPS = [
  ['SUBMITTED', 'Submitted'],
  ['PENDING', 'With the CA'],
  ['ISSUED', 'Returned'],
  ['VALIDATED', 'Chain validated'],
  ['ASSIGNED', 'Assigned'],
];
const STEP_OF = { SUBMITTED: 0, PENDING: 1, ISSUED: 2, CHAIN_INCOMPLETE: 3, ASSIGNABLE: 3, ASSIGNED: 4, SUPERSEDED: 4, REVOKED: 4 };

/**
 * Certificate Request Status — the wizard's "Certificate Request (Returned)" page: the thumbprint,
 * the Assign check box as chosen, View Certificate Details, Finish; when the chain is incomplete,
 * what is missing in plain words and an Import right here; live, without reload.
 */
export function statusPage(id) {
  const errors = errorSlot();
  const hostEl = h('strong', { id: 'status-host' }, '…');
  const body = h('div', { class: 'status-body' }, h('p', { class: 'muted' }, 'Loading…'));
  let view = null;
  let issuers = [];
  let detailsOpen = false;
  let disposed = false;
  api('/api/v1/issuers').then(({ items }) => {
    issuers = items;
    if (view) render(view);
  }).catch(() => undefined);

  async function load() {
    try {
      const v = await api(`/api/v1/requests/${enc(id)}`);
      errors.clear();
      if (disposed) return;
      if (!view || v.state !== view.state || v.updatedAt !== view.updatedAt || v.thumbprint !== view.thumbprint || JSON.stringify(v.renewal) !== JSON.stringify(view.renewal)) render(v);
    } catch (err) {
      errors.show(err, view ? { title: 'Could not refresh this request' } : undefined);
      if (!view) body.replaceChildren();
    }
  }

  function render(v) {
    const focusWasInside = body.contains(document.activeElement);
    view = v;
    hostEl.textContent = v.host;
    body.replaceChildren(
      progress(v),
      summary(v),
      renewalPanel(v),
      h('section', { class: 'panel', 'aria-labelledby': 'cert-title' },
        h('h2', { id: 'cert-title' }, 'Certificate'),
        h('div', { class: 'thumb-row' },
          h('span', { class: 'thumb-label', id: 'thumb-label' }, 'Thumbprint'),
          v.thumbprint
            ? h('span', { class: 'with-copy' }, h('code', { class: 'mono thumb', id: 'thumbprint', 'aria-labelledby': 'thumb-label' }, hexGroups(v.thumbprint).replace(/:/g, ' ')), copyButton(v.thumbprint, 'Copy the thumbprint'))
            : h('span', { class: 'muted', id: 'thumbprint' }, 'not yet: the CA has not returned the certificate')),
        h('div', { class: 'check check-emph' },
          h('input', { type: 'checkbox', id: 'assign-choice', checked: v.autoAssign, disabled: true }),
          h('label', { for: 'assign-choice' }, h('span', { class: 'strong' }, 'Assign this certificate to certificate usages'),
            h('span', { class: 'hint block' }, v.autoAssign ? 'Chosen when the request was made: assigned as soon as the chain validates (after an incomplete chain, it waits for Assign).' : 'Cleared when the request was made: assign it in a separate step.'))),
        h('h3', {}, 'Usages'),
        h('ul', { class: 'usage-list' }, v.usages.map((u) => {
          const d = USAGES.find((x) => x.name === u);
          const bound = v.assignment?.usages?.includes(u);
          const refused = v.assignment?.notBound?.find((n) => n.usage === u);
          return h('li', {}, h('span', { class: 'strong' }, d?.label ?? u), ' ', h('code', { class: 'muted small' }, u),
            bound ? h('span', { class: 'tag tag-ok' }, 'assigned') : refused ? h('span', { class: 'tag tag-bad' }, 'not assigned') : null,
            d ? h('span', { class: 'hint block' }, d.help) : null,
            refused ? h('span', { class: 'block error-message' }, `${refused.code}: ${refused.reason}`) : null);
        })),
        actions(v),
        detailsPanel(v),
      ),
      history(v),
    );
    if (focusWasInside) body.querySelector('.summary')?.focus();
  }

  function actions(v) {
    const detailsBtn = h('button', { type: 'button', class: 'btn', id: 'view-details', 'aria-expanded': String(detailsOpen), 'aria-controls': 'cert-details', disabled: !v.certificate }, 'View Certificate Details');
    detailsBtn.addEventListener('click', () => {
      detailsOpen = !detailsOpen;
      detailsBtn.setAttribute('aria-expanded', String(detailsOpen));
      const panel = body.querySelector('#cert-details');
      panel.hidden = !detailsOpen;
      if (detailsOpen) panel.querySelector('h3')?.focus();
    });
    const finish = h('button', { type: 'button', class: 'btn btn-quiet', id: 'finish', onclick: () => (location.hash = '#/requests') }, 'Finish');
    const row = h('div', { class: 'actions' }, detailsBtn);
    if (v.state === 'ASSIGNABLE') row.append(assignButton(v));
    row.append(finish);
    return row;
  }

  function assignButton(v) {
    const b = h('button', { type: 'button', class: 'btn btn-primary', id: 'assign' }, 'Assign');
    b.addEventListener('click', async () => {
      b.disabled = true;
      b.textContent = 'Assigning…';
      errors.clear();
      try {
        const updated = await api(`/api/v1/requests/${enc(v.id)}/assign`, { method: 'POST', json: {} });
        render(updated);
      } catch (err) {
        errors.show(err, { title: 'Assign was refused' });
        b.disabled = false;
        b.textContent = 'Assign';
      }
    });
    return b;
  }

  function detailsPanel(v) {
    const panel = h('div', { id: 'cert-details', class: 'details-panel', hidden: !detailsOpen });
    if (v.certificate) {
      panel.append(h('h3', { tabindex: '-1' }, 'Certificate details'), certificateDetails(v.certificate, { path: v.validation?.path }));
    }
    return panel;
  }

  function summary(v) {
    const box = h('section', { class: `panel summary summary-${v.state.toLowerCase().replace('_', '-')}`, id: 'summary', tabindex: '-1', 'aria-labelledby': 'summary-title', 'aria-live': 'polite' });
    const title = (t) => h('h2', { id: 'summary-title' }, badge(v.state), ' ', t);
    const issuerType = issuers.find((i) => i.name === v.issuer)?.type;
    const add = (...nodes) => append(box, nodes);
    switch (v.state) {
      case 'SUBMITTED':
        add(title('Request accepted'), h('p', {}, `certflow is sending the CSR to the issuer “${v.issuer}”.`));
        break;
      case 'PENDING':
        add(title('Waiting for the CA'));
        if (issuerType === 'offline' || v.issuer === 'offline') {
          add(h('p', {}, `The offline CA “${v.issuer}” has the request. When it returns the certificate, upload it here; it then goes through validation as any CA\u2019s would.`), uploadForm(v));
        } else {
          add(h('p', {}, `The CA “${v.issuer}” has the request.`));
        }
        if (v.pending?.detail) add(h('p', { class: 'muted' }, 'CA status: ', mono(v.pending.detail)));
        break;
      case 'ISSUED':
        add(title('Certificate returned'), h('p', {}, 'The CA returned the certificate. certflow is validating its chain against the trusted root and intermediate stores.'));
        break;
      case 'CHAIN_INCOMPLETE':
        add(title('The certificate chain is incomplete'), ...incomplete(v));
        break;
      case 'ASSIGNABLE':
        add(title('Ready to assign'),
          h('p', {}, v.autoAssign && !v.history.some((x) => x.state === 'CHAIN_INCOMPLETE')
            ? 'The chain is complete. certflow is assigning the certificate to its usages.'
            : `The chain is complete: ${v.validation?.path?.length ?? ''} certificates up to a trusted root. Click Assign to bind the certificate to ${v.usages.map(usageLabel).join(', ')}.`));
        break;
      case 'ASSIGNED':
        add(title('Assigned'),
          h('p', {}, `Assigned ${fmtDate(v.assignment?.assignedAt)} to ${(v.assignment?.usages ?? []).map(usageLabel).join(', ') || 'no usage'} on `, h('a', { href: `#/hosts/${enc(v.host)}` }, v.host), '.'),
          v.assignment?.notBound?.length ? h('p', { class: 'alert alert-warn' }, 'Not assigned to: ', v.assignment.notBound.map((n) => `${usageLabel(n.usage)} (${n.code}: ${n.reason})`).join('; ')) : null,
          v.untrusted ? h('p', { class: 'alert alert-warn', id: 'untrusted' }, `Untrusted since ${fmtDate(v.untrusted.since)}: a trust-store removal broke its chain (missing ${(v.untrusted.missing ?? []).map((m) => m.subject).join(', ') || 'an issuer'}). It is still bound; renew it or import the issuer again.`) : null,
          v.revocation && v.revocation.state !== 'revoked' ? h('p', { class: 'alert alert-warn' }, `Revocation ${v.revocation.state === 'after-renewal' ? 'waits for its renewal to be assigned' : 'requested'} (${v.revocation.reason}).`) : null);
        break;
      case 'SUPERSEDED':
        add(title('Superseded'),
          h('p', {}, 'Its renewal took over every usage it was bound to on ', h('a', { href: `#/hosts/${enc(v.host)}` }, v.host), '; this certificate is no longer bound anywhere.'),
          v.supersededBy ? h('p', {}, 'Replaced by ', h('a', { href: `#/requests/${enc(v.supersededBy)}`, id: 'superseded-by-link' }, `request ${v.supersededBy}`), '.') : null);
        break;
      case 'REVOKED':
        add(title('Revoked'),
          h('p', {}, `Revoked ${fmtDate(v.revocation?.revokedAt ?? v.revocation?.requestedAt)}`, v.revocation?.reason ? ` (${v.revocation.reason})` : '', '. Its bindings were released; it is never bound again.'),
          v.revocation?.atCa === 'manual' ? h('p', { class: 'alert alert-warn' }, 'Its CA is offline: certflow recorded the revocation, but it must also be revoked at the CA by hand.') : null);
        break;
      case 'FAILED':
        add(title('The request failed'),
          v.failure ? h('p', { class: 'api-error' }, h('code', { class: 'error-code' }, v.failure.code), ' ', h('span', { class: 'error-message' }, v.failure.message)) : null,
          v.failure ? h('p', { class: 'muted' }, `Stage: ${v.failure.stage}. Make a new request once the cause is fixed.`) : null);
        break;
      default:
        add(title(STATE_LABEL[v.state] ?? v.state));
    }
    return box;
  }

  function incomplete(v) {
    const missing = v.validation?.missing ?? [];
    const out = [];
    out.push(h('p', { class: 'strong' }, 'This certificate cannot be assigned yet: certflow does not trust the CA that issued it. There is no Assign until the missing certificate is imported.'));
    if (missing.length) {
      out.push(h('ul', { class: 'missing' }, missing.map((m) =>
        h('li', {},
          m.kind === 'root' ? 'The root CA ' : 'The intermediate CA ',
          h('strong', { class: 'missing-subject' }, m.subject),
          m.authorityKeyIdentifier ? [' (key id ', h('code', { class: 'mono missing-key' }, hexGroups(m.authorityKeyIdentifier)), ')'] : null,
          m.kind === 'root' ? ' is not in the trusted root store.' : ' is not in the intermediate store, and the CA did not send it with the certificate.'))));
    }
    if (v.validation?.reasons?.length) {
      out.push(h('details', {}, h('summary', {}, 'Validation details'), h('ul', {}, v.validation.reasons.map((r) => h('li', {}, r)))));
    }
    out.push(importForm(v, missing[0]?.kind === 'intermediate' ? 'intermediates' : 'roots'));
    return out;
  }

  function importForm(v, store) {
    const err = errorSlot();
    const result = h('p', { class: 'result', role: 'status' });
    const sel = h('select', { id: 'import-store', name: 'store' }, h('option', { value: 'roots' }, 'Trusted root CAs'), h('option', { value: 'intermediates' }, 'Intermediate CAs'));
    sel.value = store;
    const pem = pemInput({ id: 'import-pem', label: 'CA certificate (PEM or .p7b)', hint: 'Paste the PEM (one or more certificates) or upload a .pem, .crt, .cer or .p7b file. Get it from the CA\u2019s administrator, and check its key id against the one above.', accept: '.pem,.crt,.cer,.p7b,.p7c,.txt', rows: 6, required: true });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'import' }, 'Import');
    const form = h('form', { class: 'import stack', 'aria-labelledby': 'import-title', novalidate: true },
      h('h3', { id: 'import-title' }, 'Import the missing CA certificate'),
      h('div', { class: 'field' }, h('label', { for: 'import-store' }, 'Into the store'), sel),
      pem.el, err.el, result, h('div', { class: 'actions' }, btn));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.clear();
      result.textContent = '';
      if (!pem.area.value.trim()) return err.show({ code: 'CERTIFICATE_MISSING', message: 'Paste the CA certificate or upload its file.' });
      btn.disabled = true;
      try {
        const r = await api(`/api/v1/trust/${sel.value}`, { method: 'POST', json: { pem: pem.area.value } });
        result.textContent = `Imported ${r.imported.length}, already present ${r.alreadyPresent.length}. certflow is validating the chain again; this page updates by itself.`;
        setTimeout(load, 500);
      } catch (x) {
        err.show(x, { title: 'The import was refused' });
      } finally {
        btn.disabled = false;
      }
    });
    return form;
  }

  function uploadForm(v) {
    const err = errorSlot();
    const cert = pemInput({ id: 'upload-cert', label: 'Certificate the CA returned', hint: 'PEM or DER (.cer/.crt). It must carry the CSR\u2019s public key.', accept: '.pem,.crt,.cer,.txt', rows: 6, required: true });
    const chain = pemInput({ id: 'upload-chain', label: 'Intermediates the CA sent with it (optional)', accept: '.pem,.crt,.cer,.p7b,.txt', rows: 3 });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'upload' }, 'Upload certificate');
    const form = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Upload the certificate' }, cert.el, chain.el, err.el, h('div', { class: 'actions' }, btn));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.clear();
      if (!cert.area.value.trim()) return err.show({ code: 'CERTIFICATE_MISSING', message: 'Paste the certificate or upload its file.' });
      btn.disabled = true;
      try {
        const body = { certificate: cert.area.value };
        if (chain.area.value.trim()) body.chain = chain.area.value;
        render(await api(`/api/v1/requests/${enc(v.id)}/certificate`, { method: 'POST', json: body }));
      } catch (x) {
        err.show(x, { title: 'The upload was refused' });
        btn.disabled = false;
      }
    });
    return form;
  }

  function progress(v) {
    const at = STEP_OF[v.state];
    const failedAt = v.state === 'FAILED' ? { issuance: 1, validation: 3, assignment: 4 }[v.failure?.stage] ?? 1 : -1;
    return h('ol', { class: 'steps', 'aria-label': 'Progress' }, STEPS.map(([, label], i) => {
      let cls = 'todo';
      let note = '';
      if (v.state === 'FAILED') {
        cls = i < failedAt ? 'done' : i === failedAt ? 'bad' : 'todo';
        if (i === failedAt) note = ' (failed)';
      } else if (i < at || ((v.state === 'ASSIGNED' || v.state === 'SUPERSEDED') && i === at)) cls = 'done';
      else if (i === at) cls = v.state === 'CHAIN_INCOMPLETE' ? 'bad' : 'now';
      if (v.state === 'CHAIN_INCOMPLETE' && i === at) note = ' (incomplete)';
      return h('li', { class: `step step-${cls}`, 'aria-current': cls === 'now' || cls === 'bad' ? 'step' : undefined }, h('span', { class: 'step-dot', 'aria-hidden': 'true' }), h('span', {}, label + note));
    }));
  }

  function history(v) {
    return h('section', { class: 'panel', 'aria-labelledby': 'hist-title' },
      h('h2', { id: 'hist-title' }, 'History'),
      h('table', { class: 'table compact' },
        h('thead', {}, h('tr', {}, ['State', 'When', 'Why'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, v.history.slice().reverse().map((x) => h('tr', {},
          td('State', badge(x.state)),
          td('When', h('time', { datetime: x.at, title: relTime(x.at) }, fmtDate(x.at))),
          td('Why', x.reason ?? ''))))),
      h('p', { class: 'muted small' }, `Request ${v.id} · issuer ${v.issuer} · made ${fmtDate(v.createdAt)}`));
  }

  let timer = null;
  const onEvent = (e) => {
    if (e.event === 'hello') return void load();
    const d = e.data ?? {};
    const about = e.event === 'request.updated' ? d.id === id || d.id === view?.renewal?.requestId : d.subject === id || d.data?.requestId === id || d.data?.renewalOf === id || d.type === 'certflow.trust.updated.v1';
    if (!about) return;
    clearTimeout(timer);
    timer = setTimeout(load, e.event === 'request.updated' ? 0 : 150);
  };

  const el = h('section', { class: 'status' }, pageHeader('Certificate Request Status', h('span', {}, 'Request for ', hostEl)), errors.el, body);
  load();
  return { el, onEvent, dispose: () => { disposed = true; clearTimeout(timer); } };
}
