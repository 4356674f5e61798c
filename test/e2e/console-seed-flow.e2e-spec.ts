/**
 * Issue #6, the operator console at `/`, in a real browser (playwright-core driving Debian's
 * chromium; never a downloaded browser): the seed's "Certificate Request (Returned)" flow from a new
 * request with an untrusted CA to ASSIGNED, live updates without reload, API errors shown as
 * written, and phone width. Screenshots go to artifacts/console/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { issueLeaf, subjectKeyIdentifier, subjectOf, thumbprintSha1, parseCertificate, toPem } from '@certflow/pki';
import { garbageCsr, testCsr } from '@certflow/testing';
import { startCertflow, waitForRequest, type Certflow } from './harness';
import { hierarchy } from './seed-flow.helpers';
import { readServerSentEvents, type StreamEvent } from './sse.reader';

jest.setTimeout(150_000);

const CHROMIUM = process.env.CERTFLOW_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', 'artifacts', 'console');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const T = 20_000;

/** AB:CD:… as the console shows key ids. */
const keyId = (hex: string) => hex.replace(/[^0-9a-f]/gi, '').toUpperCase().match(/.{1,2}/g)!.join(':');

/** Reads GET /api/v1/events/stream as the console does (fetch with the bearer token). */
function readEvents(cf: Certflow) {
  const seen: StreamEvent[] = [];
  const ctrl = new AbortController();
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  void (async () => {
    const res = await fetch(`${cf.baseUrl}/api/v1/events/stream`, { headers: { authorization: `Bearer ${cf.token}` }, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    await readServerSentEvents(res.body, (e) => {
      seen.push(e);
      if (e.event === 'hello') ready();
    });
  })().catch(() => undefined);
  return {
    ready: readyP,
    async until(match: (e: StreamEvent) => boolean, timeoutMs = 15_000): Promise<StreamEvent[]> {
      const end = Date.now() + timeoutMs;
      while (!seen.some(match)) {
        if (Date.now() > end) throw new Error(`no such event on the stream; saw ${JSON.stringify(seen).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      ctrl.abort();
      return seen;
    },
  };
}

describe('the console (issue #6): the seed flow in a browser', () => {
  let cf: Certflow;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test does this)`);
    mkdirSync(SHOTS, { recursive: true });
    [cf, browser] = await Promise.all([startCertflow(), chromium.launch({ executablePath: CHROMIUM, args: ARGS })]);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(T);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && pageErrors.push(m.text()));
  });
  afterAll(async () => {
    await browser?.close();
    await cf?.stop();
  });

  const shot = (name: string, p: Page = page, fullPage = true) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  const summary = () => page.locator('#summary');

  it('serves the console at / without a token, with a strict content security policy', async () => {
    const res = await fetch(`${cf.baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('/console/app.js');
    const js = await fetch(`${cf.baseUrl}/console/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${cf.baseUrl}/console/nope.js`)).status).toBe(404);
    // The API stays behind the token; the live stream too.
    expect((await cf.api('/api/v1/events/stream', { token: null })).status).toBe(401);
    expect((await cf.api('/api/v1/requests/counts', { token: null })).status).toBe(401);
    // Both additions are in the OpenAPI document; the page itself is not an API route.
    const doc = (await cf.api('/api/openapi.json', { token: null })).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/events/stream', '/api/v1/requests/counts']));
    expect(doc.paths['/']).toBeUndefined();
    expect(doc.paths['/api/v1/events/stream'].get.responses['200'].content).toHaveProperty(['text/event-stream']);
  });

  it('signs in with the token from the keyboard, keeps it in the session only, never in the URL', async () => {
    await page.goto(`${cf.baseUrl}/`);
    await page.locator('#token').waitFor();
    await shot('01-sign-in');
    // Wrong token: the API's answer, as written.
    await page.keyboard.type('not-the-token-at-all-0123456789');
    await page.keyboard.press('Enter');
    await page.locator('.alert-error', { hasText: 'the bearer token is not valid' }).waitFor();
    await page.locator('#token').fill('');
    await page.keyboard.type(cf.token);
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Certificate requests' }).waitFor();
    await page.locator('#live[data-status="live"]').waitFor();
    expect(page.url()).not.toContain(cf.token);
    expect(await page.evaluate(() => sessionStorage.getItem('certflow.token'))).toBe(cf.token);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('walks the seed flow: untrusted CA → summary status naming the root → Import → ASSIGNABLE (live) → Assign → ASSIGNED', async () => {
    const host = 'wizard01.console.example.com';
    const { root, intermediate } = await hierarchy('console');
    const csr = await testCsr({ host });

    // New request, pasting the CSR made "on the host"; the offline issuer.
    await page.locator('nav a', { hasText: 'New request' }).click();
    await page.locator('h1', { hasText: 'New certificate request' }).waitFor();
    await page.locator('#host').fill(host);
    for (const u of ['Default', 'WebServicesInternal', 'WebServicesExternal']) expect(await page.locator(`#usage-${u}`).isChecked()).toBe(true);
    expect(await page.locator('#autoAssign').isChecked()).toBe(true);
    expect(await page.locator('#csr-command').textContent()).toContain(`/CN=${host}`);
    await page.locator('#issuer option[value="offline"]').waitFor({ state: 'attached' });
    await page.locator('#issuer').selectOption('offline');
    await page.locator('#csr').fill(csr.pem);
    await shot('02-new-request');
    await page.getByRole('button', { name: 'Request certificate' }).click();

    // The status page: PENDING, waiting for the offline CA.
    await page.waitForURL(/#\/requests\/[0-9a-f-]{36}$/);
    const id = decodeURIComponent(page.url().split('#/requests/')[1]);
    await page.locator('h1', { hasText: 'Certificate Request Status' }).waitFor();
    await summary().locator('.badge', { hasText: 'Pending' }).waitFor();
    expect((await cf.api(`/api/v1/requests/${id}`)).body).toMatchObject({ state: 'PENDING', host, issuer: 'offline', autoAssign: true });
    await page.evaluate(() => ((window as any).__noReload = true));
    await shot('03-status-pending');

    // The offline CA's answer, uploaded on the page: leaf + intermediate; the root stays untrusted.
    const leaf = toPem(await issueLeaf({ issuer: intermediate, publicKey: csr.keys.publicKey, subject: `CN=${host}`, dnsNames: [host] }));
    await page.locator('#upload-cert').fill(leaf);
    await page.locator('#upload-chain').fill(intermediate.pem);
    await page.locator('#upload').click();

    // Live: the summary status names the missing root by subject and key id; no Assign.
    const rootSubject = subjectOf(root.certificate);
    const rootKey = keyId(subjectKeyIdentifier(root.certificate)!);
    await summary().locator('h2', { hasText: 'The certificate chain is incomplete' }).waitFor();
    await summary().locator('.missing li', { hasText: 'The root CA' }).waitFor();
    expect(await summary().locator('.missing-subject').textContent()).toBe(rootSubject);
    expect(await summary().locator('.missing-key').textContent()).toBe(rootKey);
    expect(await summary().textContent()).toContain('is not in the trusted root store');
    expect(await page.locator('#assign').count()).toBe(0);
    expect(await page.locator('#import-store').inputValue()).toBe('roots');
    const thumbprint = thumbprintSha1(parseCertificate(leaf));
    expect((await page.locator('#thumbprint').textContent())!.replace(/\s/g, '')).toBe(thumbprint);
    expect(await page.locator('#assign-choice').isChecked()).toBe(true);
    await shot('04-status-chain-incomplete');

    // Import the root right there; the page moves by itself to ASSIGNABLE and offers Assign.
    await page.locator('#import-pem').fill(root.pem);
    await page.locator('#import').click();
    await summary().locator('.badge', { hasText: 'Assignable' }).waitFor();
    await page.locator('#assign').waitFor();
    expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
    expect((await cf.api(`/api/v1/requests/${id}`)).body.state).toBe('ASSIGNABLE');
    await shot('05-status-assignable');

    await page.locator('#assign').click();
    await summary().locator('.badge', { hasText: 'Assigned' }).waitFor();
    expect((await waitForRequest(cf, id, (v) => v.state === 'ASSIGNED')).assignment.usages).toEqual(['Default', 'WebServicesInternal', 'WebServicesExternal']);
    await page.locator('.usage-list .tag-ok').nth(2).waitFor();
    expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);

    // View Certificate Details: subject, names, validity, key, usages, the path leaf → root by name.
    await page.locator('#view-details').click();
    const details = page.locator('#cert-details');
    await details.waitFor();
    expect(await page.locator('#view-details').getAttribute('aria-expanded')).toBe('true');
    const text = (await details.textContent())!;
    expect(text).toContain(`CN=${host}`);
    expect(text).toContain(`DNS:${host}`);
    expect(text).toContain('Valid to');
    expect(text).toMatch(/EC|ECDSA/);
    await details.locator('.cert-path li').nth(2).waitFor();
    expect(await details.locator('.cert-path li').count()).toBe(3);
    await details.locator('.cert-path .path-subject', { hasText: rootSubject }).waitFor();
    await details.locator('.cert-path .path-subject', { hasText: subjectOf(intermediate.certificate) }).waitFor();
    await shot('06-status-assigned-details');

    // The history shows every step the wizard went through.
    const states = await page.locator('section[aria-labelledby="hist-title"] tbody .badge').allTextContents();
    expect(states.reverse()).toEqual(['Submitted', 'Pending', 'Issued', 'Chain incomplete', 'Assignable', 'Assigned']);

    // Finish goes back to the list, which counts it.
    await page.locator('#finish').click();
    await page.locator('h1', { hasText: 'Certificate requests' }).waitFor();
    await page.locator('.count-assigned .count-n', { hasText: '1' }).waitFor();
    await page.locator('table.requests a', { hasText: host }).waitFor();
    await shot('07-requests');

    // Host view: every usage bound to this certificate, with history.
    await page.goto(`${cf.baseUrl}/#/hosts/${host}`);
    await page.locator('h1', { hasText: `Host ${host}` }).waitFor();
    await page.locator('section[aria-labelledby="hist-title"] tbody tr').nth(2).waitFor();
    expect(await page.locator('section[aria-labelledby="bound-title"] code[title]').evaluateAll((els) => els.map((e) => e.getAttribute('title')))).toEqual([thumbprint, thumbprint, thumbprint]);
    await shot('08-host');

    // Trust stores: the imported root is listed, with details.
    await page.locator('nav a', { hasText: 'Trust stores' }).click();
    await page.locator('section[aria-labelledby="store-roots"] td[data-label="Subject"]', { hasText: rootSubject }).waitFor();
    await shot('09-trust');

    // Import an intermediate on the page, then remove it after confirming in the dialog.
    const intermediateSubject = subjectOf(intermediate.certificate);
    await page.locator('#trust-store').selectOption('intermediates');
    await page.locator('#trust-pem').fill(intermediate.pem);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const row = page.locator('section[aria-labelledby="store-intermediates"] tr', { hasText: intermediateSubject }).first();
    await row.waitFor();
    await row.getByRole('button', { name: 'Remove' }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.locator('h2', { hasText: 'Remove this intermediate?' }).waitFor();
    await shot('09b-trust-remove-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await row.isVisible()).toBe(true);
    await row.getByRole('button', { name: 'Remove' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Remove' }).click();
    await page.locator('section[aria-labelledby="store-intermediates"] .empty').waitFor();
    expect((await cf.api('/api/v1/trust/intermediates')).body.items).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('lists with filters and counts; what needs a person stands out; the list follows events live', async () => {
    const host = 'waiting01.console.example.com';
    const { intermediate } = await hierarchy('console-list');
    const csr = await testCsr({ host });
    await page.goto(`${cf.baseUrl}/#/requests?issuer=offline`);
    await page.locator('h1', { hasText: 'Certificate requests' }).waitFor();
    const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: csr.pem, issuer: 'offline' } });
    expect(created.status).toBe(201);
    await page.locator('table.requests a', { hasText: host }).waitFor();
    await waitForRequest(cf, created.body.id, (v) => v.state === 'PENDING');
    const stream = readEvents(cf);
    await stream.ready;
    const leaf = toPem(await issueLeaf({ issuer: intermediate, publicKey: csr.keys.publicKey, subject: `CN=${host}`, dnsNames: [host] }));
    await cf.api(`/api/v1/requests/${created.body.id}/certificate`, { method: 'POST', json: { certificate: leaf, chain: [intermediate.pem] } });
    // No reload: the row turns into "needs a person" by itself.
    await page.locator('tr.needs-person', { hasText: host }).waitFor();
    await page.locator('.count-chain-incomplete.count-attention .count-n', { hasText: '1' }).waitFor();
    await page.locator('.alert-warn', { hasText: 'need' }).waitFor();
    await shot('10-requests-attention');

    // The stream the page listens to: NATS events without their PEMs, and request.updated once stored.
    const events = await stream.until((e) => e.event === 'request.updated' && e.data.id === created.body.id && e.data.state === 'CHAIN_INCOMPLETE');
    const issued = events.find((e) => e.event === 'certflow' && e.data.type === 'certflow.certificate.issued.v1' && e.data.subject === created.body.id);
    expect(issued?.data.data).toMatchObject({ requestId: created.body.id, issuer: 'offline' });
    expect(issued?.data.data).not.toHaveProperty('certificate');
    expect(issued?.data.data).not.toHaveProperty('chain');
    expect(events.some((e) => e.event === 'certflow' && e.data.type === 'certflow.chain.incomplete.v1')).toBe(true);

    // counts: all states, zeros included; host and issuer filters apply; not captured by /:id.
    const counts = await cf.api('/api/v1/requests/counts?issuer=offline');
    expect(counts.status).toBe(200);
    expect(counts.body.counts).toMatchObject({ CHAIN_INCOMPLETE: 1, ASSIGNED: 1, SUBMITTED: 0, FAILED: 0 });
    expect((await cf.api('/api/v1/requests/counts?issuer=internal')).body.total).toBe(0);
    expect((await cf.api(`/api/v1/requests/counts?host=${host}`)).body.total).toBe(1);
    expect((await cf.api('/api/v1/requests?issuer=internal')).body.items).toEqual([]);

    await page.locator('#f-state').selectOption('CHAIN_INCOMPLETE');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/state=CHAIN_INCOMPLETE/);
    // The hash change swaps in a new page that loads its table later; the old page's rows (one of them
    // ASSIGNED) can still be in the DOM, so wait until every row shown needs a person, then count.
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('table.requests tbody tr');
      return rows.length > 0 && document.querySelectorAll('table.requests tbody tr:not(.needs-person)').length === 0;
    });
    expect(await page.locator('table.requests tbody tr').count()).toBe(1);
    expect(await page.locator('table.requests tbody tr', { hasText: host }).count()).toBe(1);
  });

  it('shows an API error as the API wrote it (a garbage CSR)', async () => {
    const host = 'garbage.console.example.com';
    const csr = garbageCsr();
    const direct = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr, issuer: 'internal' } });
    expect(direct.status).toBe(400);
    await page.goto(`${cf.baseUrl}/#/new`);
    await page.locator('#host').fill(host);
    await page.locator('#csr').fill(csr);
    await page.getByRole('button', { name: 'Request certificate' }).click();
    const alert = page.locator('.alert-error');
    await alert.waitFor();
    expect(await alert.locator('.error-code').textContent()).toBe(direct.body.error.code);
    expect(await alert.locator('.error-message').textContent()).toBe(direct.body.error.message);
    expect(await page.evaluate(() => document.activeElement?.classList.contains('alert'))).toBe(true);
    expect(page.url()).toMatch(/#\/new$/);
    await shot('11-api-error');
  });

  it('is readable at phone width (390 px): no sideways scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      p.setDefaultTimeout(T);
      await p.goto(`${cf.baseUrl}/`);
      await p.locator('#token').fill(cf.token);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.locator('table.requests tbody tr').first().waitFor();
      const noSideways = () => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
      expect(await noSideways()).toBe(true);
      await shot('12-phone-requests', p);
      await shot('12-phone-requests-viewport', p, false);
      await p.locator('table.requests tr.needs-person a').first().click();
      await p.locator('#summary .missing li').waitFor();
      expect(await noSideways()).toBe(true);
      await shot('13-phone-status', p);
      await shot('13-phone-status-viewport', p, false);
      await p.goto(`${cf.baseUrl}/#/new`);
      await p.locator('#host').waitFor();
      expect(await noSideways()).toBe(true);
      await shot('14-phone-new', p);
    } finally {
      await phone.close();
    }
  });

  it('ends open event streams when the request service stops, so shutdown is not held up', async () => {
    const res = await fetch(`${cf.baseUrl}/api/v1/events/stream`, { headers: { authorization: `Bearer ${cf.token}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // hello
    const drained = (async () => {
      while (!(await reader.read()).done) {
        /* until the server ends it */
      }
    })();
    const t0 = Date.now();
    await cf.stopService('request');
    await drained;
    expect(Date.now() - t0).toBeLessThan(8_000);
  });
});
