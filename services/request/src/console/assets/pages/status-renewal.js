import { enc } from '../api.js';
import { fmtDate, h, relTime } from '../dom.js';
import { dl, renewalTag } from '../ui.js';

/** What each renewal state asks of the operator, in one sentence; `scheduled` depends on who renews. */
const RENEWAL_HINT = {
  'scheduled-Never': 'certflow renews it by itself when the window opens: the stored CSR is submitted again.',
  'scheduled-Always': 'When the window opens, the host makes a new key: its agent renews on its own, or run `certflow renew ID --out DIR` on the host.',
  'waiting-for-host': 'The host makes the new key: its agent renews on its own, or run `certflow renew ID --out DIR` on the host.',
  'in-progress': 'The renewal request is on its way; the old certificate stays bound until the renewal is assigned.',
  failed: 'The last renewal failed. certflow (policy Never) or the host\u2019s agent (policy Always) tries again with back-off.',
  overdue: 'The renewal is overdue: due more than a day ago with no renewal assigned, or its last attempt failed.',
};

/**
 * The request's lifecycle on its status page: rotation policy and renew-before, the request it
 * renews, what superseded it, and its renewal (due date, state incl. "waiting for the host", the
 * renewal request). Nothing when the request carries none of these (before issuance, older servers).
 */
export function renewalPanel(v) {
  const r = v.renewal;
  if (!v.rotationPolicy && !v.renewalOf && !v.supersededBy && !r) return null;
  const link = (id, elId) => h('a', { href: `#/requests/${enc(id)}`, id: elId }, id);
  const notAfter = v.certificate?.notAfter;
  const hint = r?.state ? RENEWAL_HINT[r.state === 'scheduled' ? `scheduled-${v.rotationPolicy ?? 'Always'}` : r.state] : undefined;
  return h('section', { class: 'panel renewal', id: 'renewal', 'aria-labelledby': 'renewal-title' },
    h('h2', { id: 'renewal-title' }, 'Renewal'),
    dl([
      ['Rotation policy', v.rotationPolicy ? `${v.rotationPolicy === 'Never' ? 'Never (certflow re-submits the stored CSR)' : 'Always (the host makes a new key)'}` : null],
      ['Renew before expiry', v.renewBefore ?? (v.rotationPolicy ? 'default (a third of the lifetime)' : null)],
      notAfter ? ['Expires', h('span', {}, fmtDate(notAfter), ' ', h('span', { class: 'muted' }, `(${relTime(notAfter)})`))] : null,
      v.renewalOf ? ['Renews', link(v.renewalOf, 'renewal-of-link')] : null,
      v.supersededBy ? ['Superseded by', link(v.supersededBy, 'superseded-by')] : null,
      r ? ['Renewal due', h('time', { datetime: r.dueAt, id: 'renewal-due' }, fmtDate(r.dueAt))] : null,
      r ? ['Renewal state', h('span', { id: 'renewal-state', 'data-state': r.state ?? '' }, renewalTag(r))] : null,
      r?.requestId ? ['Renewal request', link(r.requestId, 'renewal-request')] : null,
    ]),
    hint ? h('p', { class: r.state === 'overdue' || r.state === 'failed' ? 'alert alert-warn' : 'muted', id: 'renewal-hint' }, hint.replace('ID', v.id)) : null,
  );
}
