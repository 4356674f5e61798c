/**
 * Issue #3, the seed's "Certificate Request (Returned)" summary status, end to end: certificates from
 * CA hierarchies made here come in through the offline issuer, stop at CHAIN_INCOMPLETE saying what
 * is missing, and move on when the missing root or intermediate is imported.
 */
import { authorityKeyIdentifier, parseCertificate, subjectKeyIdentifier, subjectOf, thumbprintSha1 } from '@certflow/pki';
import { generateKeyPair, issueLeaf, toPem } from '@certflow/pki';
import { startCertflow, waitForRequest, type Certflow } from './harness';
import { hierarchy, importTrust, leafFor, pendingOfflineRequest, sleep, upload } from './seed-flow.helpers';

jest.setTimeout(120_000);

describe('the summary status flow (issue #3): offline certificates, missing issuers, imports', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow();
  });
  afterAll(async () => {
    await cf?.stop();
  });

  const get = async (id: string) => (await cf.api(`/api/v1/requests/${id}`)).body;
  const settled = (v: any) => !['SUBMITTED', 'PENDING', 'ISSUED'].includes(v.state);
  const listed = async (store: 'roots' | 'intermediates') => ((await cf.api(`/api/v1/trust/${store}`)).body.items as { thumbprint: string }[]).map((c) => c.thumbprint);

  it('stops at CHAIN_INCOMPLETE naming the untrusted root, refuses Assign, and after the root is imported waits in ASSIGNABLE for an explicit Assign', async () => {
    const { root, intermediate } = await hierarchy('untrusted-root');
    const req = await pendingOfflineRequest(cf, 'wiz01.seed.example.com', { autoAssign: true });
    const leaf = await leafFor(req, intermediate);
    const uploaded = await upload(cf, req.id, leaf, [intermediate.pem]);
    expect(uploaded.status).toBe(202);

    const incomplete = await waitForRequest(cf, req.id, settled);
    expect(incomplete.state).toBe('CHAIN_INCOMPLETE');
    expect(incomplete.thumbprint).toBe(thumbprintSha1(parseCertificate(leaf)));
    expect(incomplete.validation.status).toBe('incomplete');
    expect(incomplete.validation.missing).toEqual([
      { kind: 'root', subject: subjectOf(root.certificate), authorityKeyIdentifier: subjectKeyIdentifier(root.certificate) },
    ]);
    expect(incomplete.validation.missing[0].subject).toContain('Seed Root untrusted-root');
    expect(incomplete.validation.reasons.join(' ')).toMatch(/root/i);
    expect(incomplete.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'CHAIN_INCOMPLETE']);

    const refused = await cf.api(`/api/v1/requests/${req.id}/assign`, { method: 'POST', json: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NOT_ASSIGNABLE');
    expect(refused.body.error.message.length).toBeGreaterThan(10);
    expect(refused.body.error.details.state).toBe('CHAIN_INCOMPLETE');
    expect(refused.body.error.details.validation).toMatchObject({ status: 'incomplete', missing: incomplete.validation.missing });
    expect((await get(req.id)).state).toBe('CHAIN_INCOMPLETE');

    const imported = await importTrust(cf, 'roots', root.pem, 'text/plain');
    expect(imported.status).toBe(201);
    expect(imported.body).toEqual({ imported: [thumbprintSha1(root.certificate)], alreadyPresent: [] });

    const assignable = await waitForRequest(cf, req.id, (v) => v.state !== 'CHAIN_INCOMPLETE');
    expect(assignable.state).toBe('ASSIGNABLE');
    expect(assignable.autoAssign).toBe(true);
    expect(assignable.validation).toMatchObject({
      status: 'complete',
      path: [assignable.thumbprint, thumbprintSha1(intermediate.certificate), thumbprintSha1(root.certificate)],
    });
    // autoAssign does not apply to a request that had to wait for an import: it waits for Assign.
    await sleep(1_000);
    expect((await get(req.id)).state).toBe('ASSIGNABLE');
    expect((await cf.api(`/api/v1/hosts/${req.host}/assignments`)).body.usages).toEqual({});

    const assign = await cf.api(`/api/v1/requests/${req.id}/assign`, { method: 'POST', json: {} });
    expect(assign.status).toBe(202);
    const done = await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED');
    expect(done.state).toBe('ASSIGNED');
    expect(done.assignment.usages).toEqual(['Default', 'WebServicesInternal', 'WebServicesExternal']);
    expect(done.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'CHAIN_INCOMPLETE', 'ASSIGNABLE', 'ASSIGNED']);
    const bound = await cf.api(`/api/v1/hosts/${req.host}/assignments`);
    expect(bound.status).toBe(200);
    expect(Object.keys(bound.body.usages).sort()).toEqual(['Default', 'WebServicesExternal', 'WebServicesInternal']);
    for (const usage of ['Default', 'WebServicesInternal', 'WebServicesExternal']) {
      expect(bound.body.usages[usage]).toMatchObject({ thumbprint: done.thumbprint, requestId: req.id });
    }
  });

  it('names the missing intermediate by its subject and key identifier when the leaf comes without it, and completes once the intermediate is imported', async () => {
    const { root, intermediate } = await hierarchy('missing-intermediate');
    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    const req = await pendingOfflineRequest(cf, 'wiz02.seed.example.com');
    const leaf = await leafFor(req, intermediate);
    expect((await upload(cf, req.id, leaf)).status).toBe(202);

    const incomplete = await waitForRequest(cf, req.id, settled);
    expect(incomplete.state).toBe('CHAIN_INCOMPLETE');
    const leafAki = authorityKeyIdentifier(parseCertificate(leaf));
    expect(leafAki).toBe(subjectKeyIdentifier(intermediate.certificate));
    expect(incomplete.validation.missing).toEqual([{ kind: 'intermediate', subject: subjectOf(intermediate.certificate), authorityKeyIdentifier: leafAki }]);
    expect(incomplete.certificate.authorityKeyIdentifier).toBe(leafAki);

    const imported = await cf.api('/api/v1/trust/intermediates', { method: 'POST', json: { pem: intermediate.pem } });
    expect(imported.status).toBe(201);
    expect(imported.body.imported).toEqual([thumbprintSha1(intermediate.certificate)]);

    const assignable = await waitForRequest(cf, req.id, (v) => v.state !== 'CHAIN_INCOMPLETE');
    expect(assignable.state).toBe('ASSIGNABLE');
    expect(assignable.validation.path).toEqual([assignable.thumbprint, thumbprintSha1(intermediate.certificate), thumbprintSha1(root.certificate)]);
    expect(assignable.validation.missing ?? []).toEqual([]);
  });

  it('names the root next once the missing intermediate is imported, and completes only after the root is imported too', async () => {
    const { root, intermediate } = await hierarchy('two-gaps');
    const req = await pendingOfflineRequest(cf, 'wiz09.seed.example.com', { autoAssign: false });
    expect((await upload(cf, req.id, await leafFor(req, intermediate))).status).toBe(202);
    const first = await waitForRequest(cf, req.id, settled);
    expect(first.state).toBe('CHAIN_INCOMPLETE');
    expect(first.validation.missing).toEqual([expect.objectContaining({ kind: 'intermediate', subject: subjectOf(intermediate.certificate) })]);

    expect((await importTrust(cf, 'intermediates', intermediate.pem)).status).toBe(201);
    const second = await waitForRequest(cf, req.id, (v) => v.validation?.missing?.[0]?.kind !== 'intermediate');
    expect(second.state).toBe('CHAIN_INCOMPLETE');
    expect(second.validation.missing).toEqual([
      { kind: 'root', subject: subjectOf(root.certificate), authorityKeyIdentifier: subjectKeyIdentifier(root.certificate) },
    ]);

    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    const assignable = await waitForRequest(cf, req.id, (v) => v.state !== 'CHAIN_INCOMPLETE');
    expect(assignable.state).toBe('ASSIGNABLE');
    expect(assignable.validation.path).toEqual([assignable.thumbprint, thumbprintSha1(intermediate.certificate), thumbprintSha1(root.certificate)]);
  });

  it('refuses an intermediate imported as a root and a leaf imported as an intermediate, and imports nothing', async () => {
    const { root, intermediate } = await hierarchy('wrong-store');
    const leaf = toPem(await issueLeaf({ issuer: intermediate, publicKey: (await generateKeyPair('ec-p256')).publicKey, subject: 'CN=leaf.seed.example.com', dnsNames: ['leaf.seed.example.com'] }));
    const before = { roots: await listed('roots'), intermediates: await listed('intermediates') };

    const asRoot = await importTrust(cf, 'roots', intermediate.pem);
    expect(asRoot.status).toBe(400);
    expect(asRoot.body.error.code).toBe('NOT_A_ROOT');
    expect(asRoot.body.error.message).toContain(thumbprintSha1(intermediate.certificate));

    // All or nothing: a good root in the same call is not imported either.
    const mixed = await importTrust(cf, 'roots', root.pem + intermediate.pem);
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.code).toBe('NOT_A_ROOT');

    const leafAsIntermediate = await importTrust(cf, 'intermediates', leaf);
    expect(leafAsIntermediate.status).toBe(400);
    expect(leafAsIntermediate.body.error.code).toBe('NOT_A_CA');
    expect(leafAsIntermediate.body.error.message.length).toBeGreaterThan(10);

    const rootAsIntermediate = await importTrust(cf, 'intermediates', root.pem);
    expect(rootAsIntermediate.status).toBe(400);
    expect(rootAsIntermediate.body.error.code).toBe('NOT_AN_INTERMEDIATE');

    expect(await listed('roots')).toEqual(before.roots);
    expect(await listed('intermediates')).toEqual(before.intermediates);
    for (const t of [root, intermediate].map((c) => thumbprintSha1(c.certificate))) {
      expect(await listed('roots')).not.toContain(t);
      expect(await listed('intermediates')).not.toContain(t);
    }
  });

  it('refuses an upload for another key and an upload that is not a certificate, and the request stays PENDING', async () => {
    const { root, intermediate } = await hierarchy('bad-upload');
    const req = await pendingOfflineRequest(cf, 'wiz04.seed.example.com');
    const otherKey = { host: req.host, keys: await generateKeyPair('ec-p256') };

    const mismatch = await upload(cf, req.id, await leafFor(otherKey, intermediate));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('KEY_MISMATCH');
    expect(mismatch.body.error.message.length).toBeGreaterThan(10);

    const garbage = await upload(cf, req.id, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    expect(garbage.status).toBe(400);
    expect(typeof garbage.body.error.code).toBe('string');
    expect(garbage.body.error.code.length).toBeGreaterThan(0);
    const text = await upload(cf, req.id, 'hello');
    expect(text.status).toBe(400);
    expect(typeof text.body.error.code).toBe('string');

    await sleep(1_000);
    const still = await get(req.id);
    expect(still.state).toBe('PENDING');
    expect(still.thumbprint).toBeUndefined();
    expect(still.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'PENDING']);

    // The refusals changed nothing: the right certificate is still taken.
    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    expect((await upload(cf, req.id, await leafFor(req, intermediate), intermediate.pem)).status).toBe(202);
    expect((await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED')).state).toBe('ASSIGNED');
  });

  it('fails an expired certificate at validation, and no later import makes it assignable', async () => {
    const { root, intermediate } = await hierarchy('expired');
    const req = await pendingOfflineRequest(cf, 'wiz05.seed.example.com');
    const day = 24 * 60 * 60 * 1000;
    const leaf = await leafFor(req, intermediate, { notBefore: new Date(Date.now() - 400 * day), notAfter: new Date(Date.now() - day) });
    expect((await upload(cf, req.id, leaf, intermediate.pem)).status).toBe(202);

    const failed = await waitForRequest(cf, req.id, settled);
    expect(failed.state).toBe('FAILED');
    expect(failed.failure).toMatchObject({ stage: 'validation', code: 'CertificateExpired' });
    expect(failed.failure.message).toMatch(/expired/i);
    expect(failed.validation.status).toBe('invalid');

    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    expect((await importTrust(cf, 'intermediates', intermediate.pem)).status).toBe(201);
    await sleep(1_500);
    const after = await get(req.id);
    expect(after.state).toBe('FAILED');
    expect(after.failure.code).toBe('CertificateExpired');
    expect(after.history.map((h: any) => h.state)).toEqual(['SUBMITTED', 'PENDING', 'ISSUED', 'FAILED']);
    const assign = await cf.api(`/api/v1/requests/${req.id}/assign`, { method: 'POST', json: {} });
    expect(assign.status).toBe(409);
    expect(assign.body.error.code).toBe('NOT_ASSIGNABLE');
    expect((await cf.api(`/api/v1/hosts/${req.host}/assignments`)).body.usages).toEqual({});
  });
});
