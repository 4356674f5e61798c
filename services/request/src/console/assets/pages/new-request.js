import { api, enc } from '../api.js';
import { copyButton, h } from '../dom.js';
import { USAGES, errorSlot, pageHeader, pemInput } from '../ui.js';

const HOST_RE = /^(?=.{1,253}$)(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** New request: host, usages, the wizard's Assign check box, issuer, CSR (paste or upload), and how to make one. */
export function newRequestPage() {
  const errors = errorSlot();
  const host = h('input', { id: 'host', name: 'host', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'web01.corp.example.com', 'aria-describedby': 'host-hint' });
  const friendly = h('input', { id: 'friendlyName', name: 'friendlyName', autocomplete: 'off', placeholder: 'Pool 01 default certificate' });
  const usageBoxes = USAGES.map((u) => h('input', { type: 'checkbox', id: `usage-${u.name}`, name: 'usages', value: u.name, checked: true }));
  const assign = h('input', { type: 'checkbox', id: 'autoAssign', name: 'autoAssign', checked: true, 'aria-describedby': 'autoAssign-hint' });
  const issuer = h('select', { id: 'issuer', name: 'issuer' }, h('option', { value: 'internal' }, 'internal'));
  const issuerHint = h('p', { class: 'hint', id: 'issuer-hint' }, 'Which CA issues the certificate.');
  issuer.setAttribute('aria-describedby', 'issuer-hint');
  const csr = pemInput({ id: 'csr', label: 'Certificate signing request (CSR)', hint: 'PEM PKCS#10, made on the host: its private key never leaves the host.', accept: '.csr,.req,.pem,.txt', rows: 9, required: true });
  let issuers = [];
  api('/api/v1/issuers')
    .then(({ items }) => {
      issuers = items;
      issuer.replaceChildren(...items.map((i) => h('option', { value: i.name }, `${i.name} (${i.type})`)));
      issuer.value = items.some((i) => i.name === 'internal') ? 'internal' : items[0]?.name ?? '';
      describeIssuer();
    })
    .catch(() => undefined);
  const describeIssuer = () => {
    const t = issuers.find((i) => i.name === issuer.value)?.type;
    issuerHint.textContent =
      t === 'offline' ? 'Offline CA: the request waits in Pending until you upload the certificate the CA returned (on its status page).'
      : t === 'acme' ? 'ACME CA: certflow orders the certificate; the host names must pass the CA\u2019s challenge.'
      : t === 'internal' ? 'certflow\u2019s own internal CA: issued within seconds.'
      : 'Which CA issues the certificate.';
  };
  issuer.addEventListener('change', describeIssuer);

  const cmd = h('pre', { class: 'cmd', id: 'csr-command' });
  const rsaCmd = h('pre', { class: 'cmd' });
  const showCommands = () => {
    const name = host.value.trim() || 'web01.corp.example.com';
    cmd.textContent = `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\\n  -keyout ${name}.key -out ${name}.csr \\\n  -subj "/CN=${name}" -addext "subjectAltName=DNS:${name}"`;
    rsaCmd.textContent = `openssl req -new -newkey rsa:2048 -nodes \\\n  -keyout ${name}.key -out ${name}.csr \\\n  -subj "/CN=${name}" -addext "subjectAltName=DNS:${name}"`;
  };
  host.addEventListener('input', showCommands);
  showCommands();

  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Request certificate');
  const form = h('form', { class: 'stack', novalidate: true, 'aria-labelledby': 'new-title' },
    h('div', { class: 'grid-2' },
      h('div', { class: 'field' }, h('label', { for: 'host' }, 'Host (FQDN of the server or pool)'), host, h('p', { class: 'hint', id: 'host-hint' }, 'Must be one of the CSR\u2019s names (CN or subject alternative name).')),
      h('div', { class: 'field' }, h('label', { for: 'friendlyName' }, 'Friendly name ', h('span', { class: 'muted' }, '(optional)')), friendly),
    ),
    h('fieldset', { class: 'usages' }, h('legend', {}, 'Certificate usages'),
      USAGES.map((u, i) => h('div', { class: 'check' }, usageBoxes[i], h('label', { for: `usage-${u.name}` }, h('span', { class: 'strong' }, u.label), ' ', h('code', { class: 'muted small' }, u.name), h('span', { class: 'hint block' }, u.help))))),
    h('div', { class: 'check check-emph' }, assign, h('label', { for: 'autoAssign' }, h('span', { class: 'strong' }, 'Assign this certificate to certificate usages'),
      h('span', { class: 'hint block', id: 'autoAssign-hint' }, 'When the chain validates, the certificate is assigned to the usages above with no further step. Clear it to assign in a separate step. A certificate whose chain was incomplete always waits for an explicit Assign.'))),
    h('div', { class: 'field' }, h('label', { for: 'issuer' }, 'Issuer'), issuer, issuerHint),
    csr.el,
    errors.el,
    h('div', { class: 'actions' }, submit, h('a', { href: '#/requests', class: 'btn btn-quiet' }, 'Cancel')),
  );

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    const usages = usageBoxes.filter((b) => b.checked).map((b) => b.value);
    const hostName = host.value.trim();
    if (!hostName || !HOST_RE.test(hostName)) return errors.show({ code: 'HOST_INVALID', message: 'Enter the host\u2019s fully qualified name, e.g. web01.corp.example.com.' });
    if (!usages.length) return errors.show({ code: 'USAGES_EMPTY', message: 'Choose at least one usage.' });
    if (!csr.area.value.trim()) return errors.show({ code: 'CSR_MISSING', message: 'Paste the CSR or upload the .csr file.' });
    submit.disabled = true;
    submit.textContent = 'Requesting…';
    try {
      const body = { host: hostName, csr: csr.area.value, usages, autoAssign: assign.checked, issuer: issuer.value };
      if (friendly.value.trim()) body.friendlyName = friendly.value.trim();
      const created = await api('/api/v1/requests', { method: 'POST', json: body, headers: { 'idempotency-key': crypto.randomUUID() } });
      location.hash = `#/requests/${enc(created.id)}`;
    } catch (err) {
      errors.show(err, { title: 'certflow did not accept the request' });
    } finally {
      submit.disabled = false;
      submit.textContent = 'Request certificate';
    }
  });

  const help = h('aside', { class: 'panel help', 'aria-labelledby': 'csr-help' },
    h('h2', { id: 'csr-help' }, 'How to make a CSR on the host'),
    h('p', {}, 'Run this on the server itself. It writes the private key (keep it there) and the CSR to paste or upload here:'),
    h('div', { class: 'cmd-box' }, cmd, copyButton(cmd.textContent, 'Copy the openssl command')),
    h('details', {}, h('summary', {}, 'RSA key instead (2048 bits)'), h('div', { class: 'cmd-box' }, rsaCmd)),
    h('p', {}, 'For a pool, add every name to ', h('code', {}, 'subjectAltName'), ', e.g. ', h('code', {}, 'DNS:pool.example.com,DNS:web01.example.com'), '.'),
    h('p', {}, 'Windows: ', h('code', {}, 'certreq -new request.inf host.csr'), ' with the same subject and names.'),
    h('p', {}, 'Or, with the certflow CLI on the host, make the key, the CSR and the request in one step (the key never leaves the host; the certificate and chain are written when assigned):'),
    h('div', { class: 'cmd-box' }, h('pre', { class: 'cmd' }, 'CERTFLOW_URL=' + location.origin + ' CERTFLOW_TOKEN=<token> \\\n  certflow request --host <host> --out /etc/certflow/<host>')),
  );
  // The copy button copies the command for the host as typed.
  host.addEventListener('input', () => help.querySelector('.cmd-box')?.replaceChildren(cmd, copyButton(cmd.textContent, 'Copy the openssl command')));

  const el = h('section', {}, pageHeader('New certificate request', 'The wizard\u2019s request, for any host of the fleet.'),
    h('div', { class: 'layout-side' }, h('div', { class: 'panel' }, h('h2', { id: 'new-title', class: 'visually-hidden' }, 'Request'), form), help));
  return { el };
}
