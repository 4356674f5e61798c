import { api, enc } from '../api.js';
import { h } from '../dom.js';
import { certificateDetails, errorSlot, pageHeader } from '../ui.js';

/** One certificate by thumbprint (SHA-1 or SHA-256): View Certificate Details on its own page. */
export function certificatePage(thumbprint) {
  const errors = errorSlot();
  const body = h('div', { class: 'panel' }, h('p', { class: 'muted' }, 'Loading…'));
  api(`/api/v1/certificates/${enc(thumbprint)}`)
    .then((c) => body.replaceChildren(certificateDetails(c)))
    .catch((err) => {
      body.replaceChildren();
      errors.show(err);
    });
  const el = h('section', {}, pageHeader('Certificate details', thumbprint), errors.el, body,
    h('p', {}, h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => history.back() }, '← Back')));
  return { el };
}
