// Tiny DOM helpers. Text always goes in as text nodes: nothing from the API is parsed as HTML.

/** h('a', {href: '#/x', class: 'btn'}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let ids = 0;
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

export function fmtDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function relTime(iso) {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (Math.abs(s) < 45) return 'just now';
  const units = [[60, 'minute'], [3600, 'hour'], [86400, 'day']];
  let [div, unit] = units[0];
  for (const u of units) if (Math.abs(s) >= u[0]) [div, unit] = u;
  const n = Math.round(Math.abs(s) / div);
  return s >= 0 ? `${n} ${unit}${n === 1 ? '' : 's'} ago` : `in ${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** AB:CD:EF… → groups of two, for long hex identifiers. */
export function hexGroups(hex) {
  if (!hex) return '';
  const clean = hex.replace(/[^0-9a-f]/gi, '').toUpperCase();
  return clean.match(/.{1,2}/g)?.join(':') ?? hex;
}

/** A button that copies `text`, saying so for screen readers. */
export function copyButton(text, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'aria-label': `${label} to the clipboard` }, 'Copy');
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy';
    }
    setTimeout(() => (b.textContent = 'Copy'), 1500);
  });
  return b;
}

/** Reads a chosen file as text; a binary file (DER .cer/.p7b) comes back as bare base64, which the API accepts. */
export async function readCertFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.slice(0, 64));
  if (/-----BEGIN /.test(head) || /^[\x09\x0a\x0d\x20-\x7e]*$/.test(head)) return new TextDecoder().decode(bytes);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/.{64}/g, '$&\n');
}
