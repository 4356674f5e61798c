// Pieces every page uses: state badges, errors as the API wrote them, usages, certificate details.
import { api, enc } from './api.js';
import { copyButton, fmtDate, h, hexGroups, relTime } from './dom.js';

export const STATES = ['SUBMITTED', 'PENDING', 'ISSUED', 'CHAIN_INCOMPLETE', 'ASSIGNABLE', 'ASSIGNED', 'FAILED', 'SUPERSEDED', 'REVOKED'];
export const STATE_LABEL = {
  SUBMITTED: 'Submitted',
  PENDING: 'Pending',
  ISSUED: 'Issued',
  CHAIN_INCOMPLETE: 'Chain incomplete',
  ASSIGNABLE: 'Assignable',
  ASSIGNED: 'Assigned',
  FAILED: 'Failed',
  SUPERSEDED: 'Superseded',
  REVOKED: 'Revoked',
};

/** A renewal's state (RequestView's and the inventory's `renewal.state`) in words. */
export const RENEWAL_STATE_LABEL = {
  scheduled: 'Scheduled',
  'waiting-for-host': 'Waiting for the host',
  'in-progress': 'In progress',
  failed: 'Failed',
  overdue: 'Overdue',
};

/** A renewal as a tag: its state, warning colours when it needs a person. */
export function renewalTag(renewal) {
  if (!renewal) return h('span', { class: 'muted' }, '—');
  const state = renewal.state ?? 'scheduled';
  const bad = state === 'failed' || state === 'overdue';
  return h('span', { class: `tag renewal-${state}${bad ? ' tag-bad' : ''}` }, RENEWAL_STATE_LABEL[state] ?? state);
}

/** The states that need a person. ASSIGNABLE only when it waits for Assign (see needsPerson). */
export const ATTENTION = ['CHAIN_INCOMPLETE', 'ASSIGNABLE', 'FAILED'];

export function needsPerson(r) {
  if (r.state === 'CHAIN_INCOMPLETE') return 'Import the missing CA certificate';
  if (r.state === 'FAILED') return 'Failed: read the reason';
  if (r.state === 'ASSIGNABLE') return 'Waiting for Assign';
  return null;
}

export const USAGES = [
  { name: 'Default', label: 'Server default', help: 'Mutual TLS (MTLS): connections to clients and other servers. Needs server and client authentication.' },
  { name: 'WebServicesInternal', label: 'Web services internal', help: 'Client and server connections on the internal web services site (TLS/SSL).' },
  { name: 'WebServicesExternal', label: 'Web services external', help: 'Client and server connections on the external web services site (TLS/SSL).' },
];
export const usageLabel = (name) => USAGES.find((u) => u.name === name)?.label ?? name;

export function badge(state) {
  return h('span', { class: `badge badge-${state.toLowerCase().replace('_', '-')}` }, STATE_LABEL[state] ?? state);
}

/** An API error exactly as the API wrote it: the code, then the message. */
export function errorBox(err, { title } = {}) {
  const box = h(
    'div',
    { class: 'alert alert-error', role: 'alert', tabindex: '-1' },
    title ? h('p', { class: 'alert-title' }, title) : null,
    h('p', { class: 'api-error' }, err.code ? h('code', { class: 'error-code' }, err.code) : null, ' ', h('span', { class: 'error-message' }, err.message ?? String(err))),
  );
  return box;
}

/** A slot that shows one error (or nothing) and moves focus to it. */
export function errorSlot() {
  const slot = h('div', { class: 'error-slot' });
  return {
    el: slot,
    show(err, opts) {
      slot.replaceChildren(errorBox(err, opts));
      slot.firstChild.focus();
    },
    clear() {
      slot.replaceChildren();
    },
  };
}

export function pageHeader(title, subtitle, ...actions) {
  return h(
    'div',
    { class: 'page-head' },
    h('div', {}, h('h1', { tabindex: '-1' }, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

/** A table cell with its column name (shown before the value at phone width, where rows become cards). */
export function td(label, ...children) {
  return h('td', { 'data-label': label }, h('div', { class: 'cell' }, children));
}

export function mono(text, extra = {}) {
  return h('code', { class: 'mono', ...extra }, text);
}

export function shortThumb(t) {
  return t ? `${t.slice(0, 8)}…${t.slice(-4)}` : '';
}

/** A key/value list. rows: [[label, value], …]; values may be nodes. */
export function dl(rows, cls = 'kv') {
  return h('dl', { class: cls }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === undefined || v === null || v === '' ? '—' : v)]));
}

export function keyText(pk) {
  if (!pk) return '';
  return [pk.algorithm, pk.size ? `${pk.size} bits` : null, pk.curve].filter(Boolean).join(', ');
}

/** Whether a certificate is valid now, expired, or not yet valid, in words. */
export function validityText(c) {
  const now = Date.now();
  const nb = new Date(c.notBefore).getTime();
  const na = new Date(c.notAfter).getTime();
  if (now < nb) return `not valid until ${fmtDate(c.notBefore)}`;
  if (now > na) return `expired ${relTime(c.notAfter)}`;
  const days = Math.floor((na - now) / 86_400_000);
  return `valid, ${days} day${days === 1 ? '' : 's'} left`;
}

/** CertificateDetails, readable: what an operator checks before putting a certificate to use. */
export function certificateDetails(c, { path } = {}) {
  const wrap = h('div', { class: 'cert-details' });
  wrap.append(
    dl([
      ['Subject', mono(c.subject)],
      ['Names (SAN)', c.subjectAltNames?.length ? h('ul', { class: 'plain' }, c.subjectAltNames.map((n) => h('li', {}, mono(n)))) : 'none'],
      ['Issued by', mono(c.issuer)],
      ['Valid from', fmtDate(c.notBefore)],
      ['Valid to', h('span', {}, fmtDate(c.notAfter), ' ', h('span', { class: 'muted' }, `(${validityText(c)})`))],
      ['Public key', keyText(c.publicKey)],
      ['Signature', c.signatureAlgorithm],
      ['Key usage', c.keyUsage?.join(', ') || 'none'],
      ['Extended key usage', c.extendedKeyUsage?.join(', ') || 'none'],
      ['Basic constraints', c.basicConstraints ? (c.basicConstraints.ca ? `CA${c.basicConstraints.pathLength !== undefined ? `, path length ${c.basicConstraints.pathLength}` : ''}` : 'not a CA') : 'none'],
      ['Serial number', mono(c.serialNumber)],
      ['Subject key id', c.subjectKeyIdentifier ? mono(hexGroups(c.subjectKeyIdentifier)) : 'none'],
      ['Authority key id', c.authorityKeyIdentifier ? mono(hexGroups(c.authorityKeyIdentifier)) : 'none'],
      ['Thumbprint (SHA-1)', h('span', { class: 'with-copy' }, mono(c.thumbprint, { class: 'mono break' }), copyButton(c.thumbprint, 'Copy the SHA-1 thumbprint'))],
      ['Thumbprint (SHA-256)', mono(c.thumbprintSha256, { class: 'mono break' })],
    ]),
  );
  if (path?.length) wrap.append(certificationPath(path));
  if (c.pem) {
    wrap.append(
      h(
        'details',
        { class: 'pem' },
        h('summary', {}, 'PEM'),
        h('div', { class: 'pem-actions' }, copyButton(c.pem, 'Copy the PEM'), h('a', { class: 'btn btn-small btn-quiet', href: `data:application/x-pem-file;charset=utf-8,${encodeURIComponent(c.pem)}`, download: `${c.thumbprint}.pem` }, 'Download .pem')),
        h('pre', {}, c.pem),
      ),
    );
  }
  return wrap;
}

/** The certification path leaf→root, each certificate by name (looked up by thumbprint). */
export function certificationPath(path) {
  const list = h('ol', { class: 'cert-path' });
  const box = h('section', { class: 'path-box', 'aria-label': 'Certification path' }, h('h3', {}, 'Certification path (leaf → root)'), list);
  path.forEach((t, i) => {
    const role = i === 0 ? 'Certificate' : i === path.length - 1 ? 'Root CA' : 'Intermediate CA';
    const name = h('span', { class: 'path-name' }, mono(shortThumb(t)));
    list.append(h('li', {}, h('span', { class: 'path-role' }, role), name, h('a', { href: `#/certificates/${enc(t)}`, class: 'path-link', 'aria-label': `Details of the ${role.toLowerCase()}` }, 'details')));
    api(`/api/v1/certificates/${enc(t)}`)
      .then((c) => name.replaceChildren(h('span', { class: 'path-subject' }, c.subject), h('span', { class: 'muted mono small' }, ` ${shortThumb(t)}`)))
      .catch(() => undefined);
  });
  return box;
}

/** A textarea plus a file picker that loads the file into it. */
export function pemInput({ id, label, hint, accept, rows = 8, required = false, name }) {
  const area = h('textarea', { id, name: name ?? id, rows, spellcheck: 'false', autocomplete: 'off', class: 'pem-area', required, 'aria-describedby': hint ? `${id}-hint` : undefined, placeholder: '-----BEGIN …-----' });
  const file = h('input', { type: 'file', id: `${id}-file`, accept, class: 'file' });
  const fileNote = h('span', { class: 'muted small', 'aria-live': 'polite' });
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    const { readCertFile } = await import('./dom.js');
    area.value = await readCertFile(f);
    fileNote.textContent = `Loaded ${f.name} (${f.size} bytes)`;
  });
  const el = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    area,
    h('div', { class: 'file-row' }, h('label', { for: `${id}-file`, class: 'file-label' }, 'or upload a file:'), file, fileNote),
  );
  return { el, area, file };
}
