/**
 * Issue #18, renewal: `Never` is renewed by certflow itself (the stored CSR) when the window opens,
 * through the whole flow and its chain.complete gate, and takes the old bindings over with no moment
 * unbound; a renewal whose CA changed its intermediate stops at CHAIN_INCOMPLETE with the old
 * certificate still bound, and replaces it only after the import and an Assign.
 */
import { X509Certificate } from 'node:crypto';
import { importTrust, hierarchy, leafFor, upload } from '../seed-flow.helpers';
import { opensslCsr, startCertflow, waitForRequest, type Certflow } from '../harness';
import { testCsr } from '@certflow/testing';
import { certificateEvents, eventually, sharedClock, watchBindings } from './lifecycle.helpers';

jest.setTimeout(180_000);

const USAGES = ['Default', 'WebServicesInternal', 'WebServicesExternal'];

describe('renewal (issue #18)', () => {
  const clock = sharedClock();
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow({ env: { ...clock.env, CERTFLOW_LEAF_DAYS: '10', CERTFLOW_WATCH_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await cf?.stop();
  });

  const view = async (id: string) => (await cf.api(`/api/v1/requests/${id}`)).body;

  it('Never: renewed by certflow when the window opens, re-validated, re-assigned with no gap; the old one SUPERSEDED', async () => {
    const host = 'never01.renew.example.com';
    const csr = opensslCsr(host, [host]);
    const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr, rotationPolicy: 'Never', renewBefore: 'P4D' } });
    expect(created.status).toBe(201);
    const old = await waitForRequest(cf, created.body.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 30_000);
    expect(old.state).toBe('ASSIGNED');
    expect(old.rotationPolicy).toBe('Never');
    expect(old.renewBefore).toBe('P4D');
    // renewBefore P4D: the window opens 4 days before notAfter.
    expect(Math.abs(Date.parse(old.renewal.dueAt) - (Date.parse(old.certificate.notAfter) - 4 * 86_400_000))).toBeLessThan(1000);

    const bindings = watchBindings(cf, host, USAGES);
    // notAfter is 10 days out; the window opens at day 6.
    clock.set(5.5);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await view(old.id)).state).toBe('ASSIGNED');
    clock.set(6.5);
    const superseded = await eventually('the old request SUPERSEDED', async () => {
      const v = await view(old.id);
      return v.state === 'SUPERSEDED' ? v : undefined;
    }, 60_000, () => cf.dumpLogs(3000));
    // A few more reads after the takeover, so the watcher sees the renewal bound too.
    await new Promise((r) => setTimeout(r, 300));
    const seen = await bindings.stop();

    const renewal = await view(superseded.supersededBy);
    expect(renewal).toMatchObject({ state: 'ASSIGNED', renewalOf: old.id, host, rotationPolicy: 'Never', renewBefore: 'P4D' });
    // The whole flow, the validation gate included.
    expect(renewal.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'ISSUED', 'ASSIGNABLE', 'ASSIGNED']);
    expect(renewal.thumbprint).not.toBe(old.thumbprint);
    // Never re-uses the stored CSR: a new certificate for the same key.
    const spki = (pem: string) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
    expect(spki(renewal.certificate.pem)).toBe(spki(old.certificate.pem));

    // Every read of the host's bindings during the renewal found a certificate for every usage.
    expect(seen.gaps).toEqual([]);
    expect(seen.reads).toBeGreaterThan(3);
    expect([...seen.thumbprints].sort()).toEqual([old.thumbprint, renewal.thumbprint].sort());
    const bound = (await cf.api(`/api/v1/hosts/${host}/assignments`)).body.usages;
    for (const u of USAGES) expect(bound[u]).toMatchObject({ thumbprint: renewal.thumbprint, requestId: renewal.id });

    // certificate.assigned of the renewal says what it replaced; certificate.unassigned of the old follows it.
    const renewalEvents = await certificateEvents(cf, renewal.id);
    const assigned = renewalEvents.find((e) => e.subject === 'certflow.certificate.assigned.v1')!;
    expect(assigned.body.data.renewalOf).toBe(old.id);
    expect(assigned.body.data.replaced.sort((a: any, b: any) => a.usage.localeCompare(b.usage))).toEqual(
      [...USAGES].sort().map((usage) => ({ usage, thumbprint: old.thumbprint })),
    );
    const oldEvents = await certificateEvents(cf, old.id);
    const unassigned = oldEvents.filter((e) => e.subject === 'certflow.certificate.unassigned.v1');
    expect(unassigned).toHaveLength(1);
    expect(unassigned[0].body.data).toMatchObject({ reason: 'replaced', thumbprint: old.thumbprint, remaining: [], replacedBy: { requestId: renewal.id, thumbprint: renewal.thumbprint } });
    expect(unassigned[0].seq).toBeGreaterThan(assigned.seq);

    // One renewal per old request: asking again answers with nothing new.
    const again = await cf.api(`/api/v1/requests/${old.id}/renew`, { method: 'POST', json: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('NOT_RENEWABLE');
    const all = (await cf.api(`/api/v1/requests?host=${host}`)).body.items;
    expect(all).toHaveLength(2);

    // The inventory: the old superseded, the renewal active with its own renewal window.
    const inventory = (await cf.api(`/api/v1/certificates?host=${host}`)).body.items;
    const byThumb = new Map(inventory.map((i: any) => [i.thumbprint, i]));
    expect(byThumb.get(old.thumbprint)).toMatchObject({ status: 'superseded', requestId: old.id });
    expect(byThumb.get(renewal.thumbprint)).toMatchObject({ status: 'active', requestId: renewal.id, renewal: { dueAt: expect.any(String) } });
    // The old certificate's watch stopped with its bindings: no expiry warning for it after the takeover.
    clock.set(9.5);
    await new Promise((r) => setTimeout(r, 1_500));
    const later = (await certificateEvents(cf, old.id)).filter((e) => e.seq > unassigned[0].seq);
    expect(later.map((e) => e.subject)).toEqual([]);
  });

  it('a renewal whose CA changed its intermediate stops at CHAIN_INCOMPLETE, the old certificate stays bound; import, Assign: replaced', async () => {
    clock.set(0);
    const host = 'offline01.renew.example.com';
    const { root, intermediate } = await hierarchy('renewal-ca');
    expect((await importTrust(cf, 'roots', root.pem)).status).toBeLessThan(300);
    const first = await testCsr({ host });
    const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: first.pem, issuer: 'offline' } });
    expect(created.status).toBe(201);
    await waitForRequest(cf, created.body.id, (v) => v.state === 'PENDING');
    expect((await upload(cf, created.body.id, await leafFor({ host, keys: first.keys }, intermediate), [intermediate.pem])).status).toBe(202);
    const old = await waitForRequest(cf, created.body.id, (v) => ['ASSIGNED', 'FAILED', 'CHAIN_INCOMPLETE'].includes(v.state), 30_000);
    expect(old.state).toBe('ASSIGNED');

    // Always without csr: the host must make the key.
    const refused = await cf.api(`/api/v1/requests/${old.id}/renew`, { method: 'POST', json: {} });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('CSR_REQUIRED');

    const next = await testCsr({ host });
    const renewed = await cf.api(`/api/v1/requests/${old.id}/renew`, { method: 'POST', json: { csr: next.pem } });
    expect(renewed.status).toBe(201);
    expect(renewed.body).toMatchObject({ renewalOf: old.id, host, issuer: 'offline' });
    // Asked again while it is open: the same renewal.
    const twice = await cf.api(`/api/v1/requests/${old.id}/renew`, { method: 'POST', json: { csr: next.pem } });
    expect(twice.status).toBe(200);
    expect(twice.body.id).toBe(renewed.body.id);
    await waitForRequest(cf, renewed.body.id, (v) => v.state === 'PENDING');

    // The CA now issues from a new intermediate (same root) that certflow has never seen.
    const { intermediate: changed } = await hierarchyUnder(root, 'renewal-ca-2');
    expect((await upload(cf, renewed.body.id, await leafFor({ host, keys: next.keys }, changed))).status).toBe(202);
    const incomplete = await waitForRequest(cf, renewed.body.id, (v) => ['CHAIN_INCOMPLETE', 'ASSIGNED', 'FAILED'].includes(v.state), 30_000);
    expect(incomplete.state).toBe('CHAIN_INCOMPLETE');
    expect(incomplete.validation.missing).toEqual([expect.objectContaining({ kind: 'intermediate' })]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await view(old.id)).state).toBe('ASSIGNED');
    const stillBound = (await cf.api(`/api/v1/hosts/${host}/assignments`)).body.usages;
    for (const u of USAGES) expect(stillBound[u]).toMatchObject({ thumbprint: old.thumbprint });

    expect((await importTrust(cf, 'intermediates', changed.pem)).status).toBeLessThan(300);
    await waitForRequest(cf, renewed.body.id, (v) => v.state === 'ASSIGNABLE', 30_000);
    expect((await cf.api(`/api/v1/requests/${renewed.body.id}/assign`, { method: 'POST', json: {} })).status).toBe(202);
    const assigned = await waitForRequest(cf, renewed.body.id, (v) => v.state === 'ASSIGNED', 30_000);
    await eventually('the old request SUPERSEDED', async () => (await view(old.id)).state === 'SUPERSEDED');
    const nowBound = (await cf.api(`/api/v1/hosts/${host}/assignments`)).body.usages;
    for (const u of USAGES) expect(nowBound[u]).toMatchObject({ thumbprint: assigned.thumbprint });
    const replaced = (await certificateEvents(cf, assigned.id)).find((e) => e.subject === 'certflow.certificate.assigned.v1')!.body.data.replaced;
    expect(replaced.map((r: any) => r.thumbprint)).toEqual([old.thumbprint, old.thumbprint, old.thumbprint]);
  });
});

/** A second issuing CA under an existing root: the CA "changed its intermediate". */
async function hierarchyUnder(root: Awaited<ReturnType<typeof hierarchy>>['root'], label: string) {
  const { createIntermediateCa, toPem } = await import('@certflow/pki');
  const intermediate = await createIntermediateCa({ subject: `CN=Seed Issuing CA ${label}, O=certflow e2e`, issuer: root, pathLength: 0 });
  return { intermediate: { ...intermediate, pem: toPem(intermediate.certificate) } };
}
