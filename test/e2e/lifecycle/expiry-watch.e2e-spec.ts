/**
 * Issue #18, the watch: a 10-day certificate, two instances of every service, the services' clock
 * moved forward by the test (CERTFLOW_CLOCK_FILE), an instance killed with SIGKILL in between.
 * Each lifecycle event arrives exactly once, only the latest window's warning for a certificate
 * bound already inside it, and with rotationPolicy Always and no agent nothing new is bound.
 */
import { opensslCsr, SERVICES, startCertflow, waitForRequest, type Certflow } from '../harness';
import { certificateEvents, eventNames, eventually, sharedClock } from './lifecycle.helpers';

jest.setTimeout(240_000);

describe('the expiry watch over a 10-day certificate (issue #18)', () => {
  const clock = sharedClock();
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow({
      instances: { request: 2, 'ca-gateway': 2, 'trust-validation': 2, assignment: 2 },
      privatePostgres: true,
      env: { ...clock.env, CERTFLOW_LEAF_DAYS: '10', CERTFLOW_WATCH_INTERVAL_MS: '200' },
    });
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('sends renewal-due, each expiring threshold and expired once each, across instances and a kill -9', async () => {
    const host = 'short01.watch.example.com';
    const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: opensslCsr(host, [host]) } });
    expect(created.status).toBe(201);
    expect(created.body.rotationPolicy).toBe('Always');
    const id = created.body.id;
    const done = await waitForRequest(cf, id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 30_000);
    expect(done.state).toBe('ASSIGNED');
    const days = (Date.parse(done.certificate.notAfter) - Date.parse(done.certificate.notBefore)) / 86_400_000;
    expect(days).toBeGreaterThan(9.9);
    expect(days).toBeLessThan(10.1);

    const names = async () => eventNames(await certificateEvents(cf, id));
    const waitFor = (name: string) => eventually(name, async () => (await names()).includes(name), 30_000, async () => `events so far: ${(await names()).join(', ')}\n${cf.dumpLogs(3000)}`);

    // Bound with 10 days left: already inside the 14-day window, so that warning at once, never the 30-day one.
    await waitFor('expiring(14)');
    expect(await names()).toEqual(['issued', 'assigned', 'expiring(14)']);

    clock.set(3.5);
    await waitFor('expiring(7)');

    // One assignment instance dies hard; the other goes on, and the dead one comes back.
    await cf.kill('assignment', 0, 'SIGKILL');
    clock.set(7);
    await waitFor('renewal-due');
    cf.startService('assignment', { instance: 0 });
    await cf.waitReady('assignment', 0);

    await cf.kill('request', 1, 'SIGKILL');
    clock.set(9.5);
    await waitFor('expiring(1)');
    cf.startService('request', { instance: 1 });
    await cf.waitReady('request', 1);

    clock.set(10.2);
    await waitFor('expired');
    // Many more rounds of both instances: nothing is sent again.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await names()).toEqual(['issued', 'assigned', 'expiring(14)', 'expiring(7)', 'renewal-due', 'expiring(1)', 'expired']);

    const events = await certificateEvents(cf, id);
    const renewalDue = events.find((e) => e.subject === 'certflow.certificate.renewal-due.v1')!.body.data;
    expect(renewalDue).toMatchObject({ requestId: id, host, thumbprint: done.thumbprint, rotationPolicy: 'Always', issuer: 'internal' });
    expect(renewalDue.usages.sort()).toEqual(['Default', 'WebServicesExternal', 'WebServicesInternal']);
    expect(Date.parse(renewalDue.notAfter)).toBe(Date.parse(done.certificate.notAfter));
    const expiring = events.filter((e) => e.subject === 'certflow.certificate.expiring.v1').map((e) => e.body.data.daysLeft);
    expect(expiring).toEqual([10, 7, 1]);
    // No event id twice in the stream.
    expect(new Set(events.map((e) => e.body.id)).size).toBe(events.length);

    // Always, and no agent on the host: certflow makes no key and submits nothing; the old certificate stays bound.
    const list = await cf.api(`/api/v1/requests?host=${host}`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: any) => r.id)).toEqual([id]);
    const bound = await cf.api(`/api/v1/hosts/${host}/assignments`);
    expect(Object.values(bound.body.usages).map((b: any) => b.thumbprint)).toEqual([done.thumbprint, done.thumbprint, done.thumbprint]);
    const view = (await cf.api(`/api/v1/requests/${id}`)).body;
    expect(view.state).toBe('ASSIGNED');
    expect(view.renewal).toMatchObject({ state: expect.stringMatching(/waiting-for-host|overdue/) });

    // The host's feed carries what its agent acts on.
    const feed = await cf.api(`/api/v1/hosts/${host}/events`);
    expect(feed.status).toBe(200);
    const feedTypes = (feed.body.items ?? feed.body.events ?? []).map((e: any) => e.type ?? e.event?.type);
    expect(feedTypes).toEqual(expect.arrayContaining(['certflow.certificate.renewal-due.v1', 'certflow.certificate.expiring.v1', 'certflow.certificate.expired.v1']));

    // Inventory: expired now (by the services' clock).
    const inventory = await cf.api(`/api/v1/certificates?host=${host}`);
    expect(inventory.status).toBe(200);
    expect(inventory.body.items).toEqual([expect.objectContaining({ thumbprint: done.thumbprint, requestId: id, status: 'expired' })]);
    expect(SERVICES.length).toBe(4);
  });
});
