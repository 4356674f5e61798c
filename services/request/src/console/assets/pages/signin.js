import { api, session } from '../api.js';
import { h } from '../dom.js';
import { errorSlot } from '../ui.js';

export function signInPage({ note, onSignedIn }) {
  const errors = errorSlot();
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-hint' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Admin API token'), input,
      h('p', { class: 'hint', id: 'token-hint' }, 'The token is in ', h('code', {}, '.certflow/admin.token'), ' on the certflow machine (or ', h('code', {}, 'CERTFLOW_ADMIN_TOKEN'), '). It is kept in this browser tab only and sent as an Authorization header.')),
    errors.el,
    h('div', { class: 'actions' }, button),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    const token = input.value.trim();
    if (!token) {
      errors.show({ code: 'TOKEN_MISSING', message: 'Paste the admin token.' });
      return;
    }
    button.disabled = true;
    try {
      await api('/api/v1/requests/counts', { token });
      session.set(token);
      onSignedIn();
    } catch (err) {
      errors.show(err, { title: 'Sign-in failed' });
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  const el = h(
    'section',
    { class: 'signin' },
    h('div', { class: 'panel' }, h('h1', { tabindex: '-1' }, 'Sign in to certflow'), h('p', { class: 'subtitle' }, 'Certificate requests, chains and assignments for your server fleet.'), note ? h('p', { class: 'alert alert-info', role: 'status' }, note) : null, form),
  );
  queueMicrotask(() => input.focus());
  return { el };
}
