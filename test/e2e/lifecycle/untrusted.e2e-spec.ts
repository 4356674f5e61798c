/**
 * Issue #19, "trust changes reach bindings", end to end with every service running: a certificate
 * from an offline CA whose root and intermediate were imported is assigned; removing the
 * intermediate from the trust store reports it untrusted (certificate.untrusted, inventory status
 * untrusted, the request view says what is missing) and, by default, keeps its bindings.
 */
import { subjectOf, thumbprintSha1 } from '@certflow/pki';
import { startCertflow, waitForRequest, type Certflow } from '../harness';
import { hierarchy, importTrust, leafFor, pendingOfflineRequest, readStream, sleep, upload } from '../seed-flow.helpers';

jest.setTimeout(120_000);

describe('a trust-store removal under a bound certificate (issue #19)', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow();
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('reports the certificate untrusted (event, inventory, view) and keeps its bindings', async () => {
    const { root, intermediate } = await hierarchy('untrusted-removal');
    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    expect((await importTrust(cf, 'intermediates', intermediate.pem)).status).toBe(201);
    // A certificate that stays trusted, from another hierarchy: the removal must not touch it.
    const other = await hierarchy('untrusted-bystander');
    await importTrust(cf, 'roots', other.root.pem);
    await importTrust(cf, 'intermediates', other.intermediate.pem);

    const req = await pendingOfflineRequest(cf, 'untrusted01.e2e.example.com', { autoAssign: true });
    const bystander = await pendingOfflineRequest(cf, 'untrusted02.e2e.example.com', { autoAssign: true });
    // Uploaded without a chain: the path goes through the intermediate of the store.
    expect((await upload(cf, req.id, await leafFor(req, intermediate))).status).toBe(202);
    expect((await upload(cf, bystander.id, await leafFor(bystander, other.intermediate))).status).toBe(202);
    const assigned = await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED');
    expect(assigned.state).toBe('ASSIGNED');
    expect((await waitForRequest(cf, bystander.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED')).state).toBe('ASSIGNED');
    const inventoryStatus = async (host: string) => ((await cf.api(`/api/v1/certificates?host=${host}`)).body.items as { status: string }[]).map((i) => i.status);
    expect(await inventoryStatus(req.host)).toEqual(['active']);

    const removed = await cf.api(`/api/v1/trust/intermediates/${thumbprintSha1(intermediate.certificate)}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);

    let untrusted: any[] = [];
    for (let i = 0; i < 100 && untrusted.length === 0; i++) {
      untrusted = (await readStream(cf, 'certflow.certificate.untrusted.v1')).map((m) => m.body).filter((e) => e.data.requestId === req.id);
      if (untrusted.length === 0) await sleep(200);
    }
    expect(untrusted).toHaveLength(1);
    const missing = [expect.objectContaining({ kind: 'intermediate', subject: subjectOf(intermediate.certificate) })];
    expect(untrusted[0].data).toEqual({
      requestId: req.id,
      host: req.host,
      thumbprint: assigned.thumbprint,
      usages: ['Default', 'WebServicesExternal', 'WebServicesInternal'],
      missing,
    });
    const broken = (await readStream(cf, 'certflow.chain.broken.v1')).map((m) => m.body);
    expect(broken.filter((e) => e.data.requestId === req.id)).toHaveLength(1);
    expect(broken.filter((e) => e.data.requestId === bystander.id)).toEqual([]);

    // The request service applies it on its own consumer: wait for the inventory to say so.
    for (let i = 0; i < 100 && (await inventoryStatus(req.host))[0] !== 'untrusted'; i++) await sleep(200);
    expect(await inventoryStatus(req.host)).toEqual(['untrusted']);
    expect(await inventoryStatus(bystander.host)).toEqual(['active']);
    const view = (await cf.api(`/api/v1/requests/${req.id}`)).body;
    expect(view.state).toBe('ASSIGNED');
    expect(view.untrusted).toMatchObject({ missing, hosts: [{ host: req.host, usages: ['Default', 'WebServicesExternal', 'WebServicesInternal'] }] });

    // Report only (the default): the bindings stay, and nothing was released.
    const bound = await cf.api(`/api/v1/hosts/${req.host}/assignments`);
    expect(Object.values(bound.body.usages).map((u: any) => u.thumbprint)).toEqual([assigned.thumbprint, assigned.thumbprint, assigned.thumbprint]);
    const released = (await readStream(cf, 'certflow.certificate.unassigned.v1')).filter((m) => m.body.data.requestId === req.id);
    expect(released).toEqual([]);
  });
});
