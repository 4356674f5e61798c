/**
 * Issue #18, the console's Expiring view in a real browser (playwright-core driving Debian's
 * chromium): certificates the internal CA issues for 20 days show as a bar of the right week in
 * the chart and in its table, the soonest-expiring list names them, and a request's status page
 * shows its renewal. Screenshots go to artifacts/console/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testCsr } from '@certflow/testing';
import { startCertflow, waitForRequest, type Certflow } from './harness';

jest.setTimeout(150_000);

const CHROMIUM = process.env.CERTFLOW_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', 'artifacts', 'console');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LEAF_DAYS = 20;

describe('the console: Expiring (issue #18)', () => {
  let cf: Certflow;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const hosts = ['exp01.console.example.com', 'exp02.console.example.com', 'exp03.console.example.com'];
  const ids: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test does this)`);
    mkdirSync(SHOTS, { recursive: true });
    [cf, browser] = await Promise.all([startCertflow({ env: { CERTFLOW_LEAF_DAYS: String(LEAF_DAYS) } }), chromium.launch({ executablePath: CHROMIUM, args: ARGS })]);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && pageErrors.push(m.text()));
    for (const host of hosts) {
      const res = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: (await testCsr({ host })).pem } });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    for (const id of ids) await waitForRequest(cf, id, (v) => v.state === 'ASSIGNED', 60_000);
  });
  afterAll(async () => {
    await browser?.close();
    await cf?.stop();
  });

  it('shows the certificates expiring by week as a chart with the right count, the same in its table, and the soonest list', async () => {
    const summary = (await cf.api('/api/v1/certificates/expiry-summary?days=90')).body;
    const week = summary.weeks.findIndex((w: { count: number }) => w.count > 0);
    expect(summary.weeks[week].count).toBe(hosts.length);
    expect(summary.expired).toBe(0);

    await page.goto(`${cf.baseUrl}/`);
    await page.locator('#token').fill(cf.token);
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Certificate requests' }).waitFor();
    await page.locator('nav a', { hasText: 'Expiring' }).click();
    await page.locator('h1', { hasText: 'Expiring certificates' }).waitFor();
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Expiring');

    const chart = page.locator('svg#expiry-chart');
    await chart.waitFor();
    expect(await chart.getAttribute('role')).toBe('group');
    expect(await page.locator('#expiry-chart-desc').textContent()).toMatch(new RegExp(`^${hosts.length} certificates expire in the next 90 days`));
    const bars = chart.locator('.chart-bar');
    expect(await bars.count()).toBe(summary.weeks.length);
    const counts = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    expect(counts).toEqual(summary.weeks.map((w: { count: number }) => w.count));
    // The week the 20-day certificates fall in: a bar with a height, its count above it and a name in words.
    const bar = bars.nth(week);
    expect(await bar.getAttribute('aria-label')).toMatch(new RegExp(`^${hosts.length} certificates expire from `));
    expect(await bar.locator('.chart-count').textContent()).toBe(String(hosts.length));
    expect(Number(await bar.locator('rect').getAttribute('height'))).toBeGreaterThan(0);
    expect(Number(await bars.nth(week === 0 ? 1 : 0).locator('rect').getAttribute('height'))).toBe(0);
    expect(await page.locator('#expiring-total .count-n').textContent()).toBe(String(hosts.length));

    await page.locator('.chart-table summary').click();
    const rows = page.locator('#expiry-weeks tbody tr');
    expect(await rows.count()).toBe(summary.weeks.length);
    expect(await rows.nth(week).locator('td').last().textContent()).toBe(String(hosts.length));

    const soonest = page.locator('#soonest-table tbody tr');
    expect(await soonest.count()).toBe(hosts.length);
    expect((await soonest.locator('td[data-label="Host"]').allTextContents()).sort()).toEqual(hosts);
    await page.screenshot({ path: join(SHOTS, '20-expiring.png'), fullPage: true });

    // Phone width: the chart scales down with the page.
    await page.setViewportSize({ width: 390, height: 844 });
    const box = await chart.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, '21-expiring-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows the renewal on a request\'s status page, from the soonest list', async () => {
    await page.locator('#soonest-table a', { hasText: hosts[0] }).click();
    await page.locator('h1', { hasText: 'Certificate Request Status' }).waitFor();
    const panel = page.locator('#renewal');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('Always (the host makes a new key)');
    const view = (await cf.api(`/api/v1/requests/${ids[0]}`)).body;
    expect(await page.locator('#renewal-hint').textContent()).toContain(`certflow renew ${ids[0]} --out DIR`);
    if (view.renewal) {
      expect(await page.locator('#renewal-due').getAttribute('datetime')).toBe(view.renewal.dueAt);
      expect(await page.locator('#renewal-state').getAttribute('data-state')).toBe(view.renewal.state);
    }
    await page.screenshot({ path: join(SHOTS, '22-status-renewal.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
