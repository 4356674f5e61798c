// The certflow console: hash routes, one live event stream, one page at a time.
import { session, whenUnauthorized } from './api.js';
import { h } from './dom.js';
import { connectLive } from './live.js';
import { parseHash } from './route.js';
import { signInPage } from './pages/signin.js';
import { requestsPage } from './pages/requests.js';
import { newRequestPage } from './pages/new-request.js';
import { statusPage } from './pages/status.js';
import { trustPage } from './pages/trust.js';
import { hostPage } from './pages/host.js';
import { certificatePage } from './pages/certificate.js';
import { expiringPage } from './pages/expiring.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
const liveEl = document.getElementById('live');
let current = null;
let live = null;
let signInNote = null;

const routes = [
  [/^\/requests\/([^/]+)$/, (m) => statusPage(decodeURIComponent(m[1])), 'requests'],
  [/^\/requests$/, () => requestsPage(), 'requests'],
  [/^\/new$/, () => newRequestPage(), 'new'],
  [/^\/expiring$/, () => expiringPage(), 'expiring'],
  [/^\/trust$/, () => trustPage(), 'trust'],
  [/^\/hosts(?:\/([^/]+))?$/, (m) => hostPage(m[1] ? decodeURIComponent(m[1]) : ''), 'hosts'],
  [/^\/certificates\/([^/]+)$/, (m) => certificatePage(decodeURIComponent(m[1])), 'trust'],
];


function setLive(status) {
  liveEl.dataset.status = status;
  liveEl.textContent = status === 'live' ? 'Live' : status === 'unauthorized' ? 'Signed out' : 'Reconnecting…';
  liveEl.title = status === 'live' ? 'Updates arrive as they happen' : 'Live updates are paused; reconnecting';
}

function startLive() {
  live?.stop();
  live = connectLive({
    onStatus: (s) => {
      setLive(s);
      if (s === 'unauthorized') signOut('Your token is no longer accepted. Sign in again.');
    },
    onEvent: (e) => current?.onEvent?.(e),
  });
}

function signOut(note) {
  session.clear();
  live?.stop();
  live = null;
  signInNote = note ?? null;
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else render();
}

async function render() {
  current?.dispose?.();
  current = null;
  const signedIn = Boolean(session.token);
  nav.hidden = !signedIn;
  sessionBox.hidden = !signedIn;
  const { path, query } = parseHash();
  if (!signedIn) {
    const back = path === '/signin' ? '#/requests' : location.hash || '#/requests';
    current = signInPage({
      note: signInNote,
      onSignedIn: () => {
        signInNote = null;
        startLive();
        if (location.hash === back) render();
        else location.hash = back;
      },
    });
    main.replaceChildren(current.el);
    focusHeading();
    return;
  }
  if (!live) startLive();
  if (path === '/signin') {
    location.hash = '#/requests';
    return;
  }
  let page = null;
  let section = '';
  for (const [re, make, s] of routes) {
    const m = re.exec(path);
    if (m) {
      page = make(m, query);
      section = s;
      break;
    }
  }
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!page) {
    page = { el: h('section', { class: 'panel' }, h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'No such page. ', h('a', { href: '#/requests' }, 'Go to the requests.'))) };
  }
  current = page;
  main.replaceChildren(page.el);
  focusHeading();
}

function focusHeading() {
  const h1 = main.querySelector('h1');
  h1?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  document.title = `${h1?.textContent ?? 'certflow'} · certflow`;
}

document.getElementById('signout').addEventListener('click', () => signOut('Signed out.'));
document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
whenUnauthorized(() => signOut('Your token is no longer accepted. Sign in again.'));
window.addEventListener('hashchange', render);
render();
