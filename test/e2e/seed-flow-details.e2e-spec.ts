/**
 * Issue #3, continued: usage fitness on a trusted chain, "View Certificate Details" for leaves and
 * trusted CAs, and the events the flow leaves in the CERTFLOW stream.
 */
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { subjectKeyIdentifier, thumbprintSha1 } from '@certflow/pki';
import { startCertflow, waitForRequest, type Certflow } from './harness';
import { hierarchy, importTrust, leafFor, pendingOfflineRequest, readStream, upload, type StoredMessage } from './seed-flow.helpers';

jest.setTimeout(120_000);

const hex = (algorithm: 'sha1' | 'sha256', pem: string) => createHash(algorithm).update(new NodeX509(pem).raw).digest('hex').toUpperCase();
const pemBody = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');
/** Mixed case, as a person might paste it. */
const mixedCase = (t: string) => [...t].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');

describe('the summary status flow (issue #3): usages, certificate details, events', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow();
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('binds a serverAuth-only certificate on a trusted chain to the web usages only, and the request says why Default was not bound', async () => {
    const { root, intermediate } = await hierarchy('server-only');
    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    const req = await pendingOfflineRequest(cf, 'edge06.seed.example.com');
    const leaf = await leafFor(req, intermediate, { eku: ['serverAuth'] });
    expect((await upload(cf, req.id, leaf, intermediate.pem)).status).toBe(202);

    const done = await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED');
    expect(done.state).toBe('ASSIGNED');
    expect(done.certificate.extendedKeyUsage).toEqual(['serverAuth']);
    expect(done.assignment.usages).toEqual(['WebServicesInternal', 'WebServicesExternal']);
    expect(done.assignment.notBound).toHaveLength(1);
    expect(done.assignment.notBound[0]).toMatchObject({ usage: 'Default', code: 'MissingClientAuth' });
    expect(done.assignment.notBound[0].reason).toMatch(/client authentication/);

    const bound = (await cf.api(`/api/v1/hosts/${req.host}/assignments`)).body;
    expect(Object.keys(bound.usages).sort()).toEqual(['WebServicesExternal', 'WebServicesInternal']);
    expect(bound.usages.WebServicesInternal).toMatchObject({ thumbprint: done.thumbprint, requestId: req.id });
  });

  it('shows the details of a leaf, an imported root and an imported intermediate by SHA-1 or SHA-256 thumbprint in any case', async () => {
    const { root, intermediate } = await hierarchy('details');
    // A second intermediate that no request ever carried: only the trust store knows it.
    const other = await hierarchy('details-other');
    expect((await importTrust(cf, 'roots', root.pem)).status).toBe(201);
    expect((await importTrust(cf, 'intermediates', intermediate.pem + other.intermediate.pem)).status).toBe(201);
    const req = await pendingOfflineRequest(cf, 'view07.seed.example.com');
    const leaf = await leafFor(req, intermediate);
    expect((await upload(cf, req.id, leaf)).status).toBe(202);
    expect((await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED')).state).toBe('ASSIGNED');

    const cases = [
      { what: 'leaf', pem: leaf, ca: false, subject: 'CN=view07.seed.example.com', issuer: intermediate },
      { what: 'root', pem: root.pem, ca: true, subject: 'CN=Seed Root details, O=certflow e2e', issuer: root },
      { what: 'intermediate', pem: other.intermediate.pem, ca: true, subject: 'CN=Seed Issuing CA details-other, O=certflow e2e', issuer: other.root },
    ];
    for (const c of cases) {
      const sha1 = hex('sha1', c.pem);
      const sha256 = hex('sha256', c.pem);
      const node = new NodeX509(c.pem);
      for (const t of [sha1, sha1.toLowerCase(), mixedCase(sha256), sha256.toLowerCase()]) {
        const res = await cf.api(`/api/v1/certificates/${t}`);
        expect({ what: c.what, t, status: res.status }).toEqual({ what: c.what, t, status: 200 });
        const d = res.body;
        expect(d.thumbprint).toBe(sha1);
        expect(d.thumbprintSha256).toBe(sha256);
        expect(d.subject).toBe(c.subject);
        expect(d.issuer).toBe(c.what === 'root' ? c.subject : `CN=${c.what === 'leaf' ? 'Seed Issuing CA details' : 'Seed Root details-other'}, O=certflow e2e`);
        expect(d.serialNumber).toBe(node.serialNumber.toUpperCase());
        expect(d.notBefore).toBe(new Date(node.validFrom).toISOString());
        expect(d.notAfter).toBe(new Date(node.validTo).toISOString());
        expect(d.publicKey).toMatchObject({ algorithm: expect.stringMatching(/EC/i), curve: expect.stringMatching(/P-256|prime256v1/i) });
        expect(d.signatureAlgorithm).toMatch(/ecdsa/i);
        expect(d.basicConstraints).toMatchObject({ ca: c.ca });
        expect(d.keyUsage).toEqual(c.ca ? expect.arrayContaining(['keyCertSign', 'cRLSign']) : ['digitalSignature']);
        expect(d.extendedKeyUsage).toEqual(c.ca ? [] : ['serverAuth', 'clientAuth']);
        expect(d.subjectAltNames).toEqual(c.ca ? [] : ['DNS:view07.seed.example.com']);
        expect(d.subjectKeyIdentifier).toMatch(/^[0-9A-F]+$/);
        expect(d.authorityKeyIdentifier).toBe(c.what === 'root' ? null : subjectKeyIdentifier(c.issuer.certificate));
        expect(pemBody(d.pem)).toBe(pemBody(c.pem));
      }
    }
    expect((await cf.api(`/api/v1/certificates/${'AB'.repeat(20)}`)).status).toBe(404);
    expect((await cf.api('/api/v1/certificates/not-a-thumbprint')).body.error.code).toBe('INVALID_THUMBPRINT');
  });

  it('leaves CloudEvents envelopes in the stream, in order: chain.complete before certificate.assigned, and trust.updated after an import', async () => {
    const { root, intermediate } = await hierarchy('events');
    const req = await pendingOfflineRequest(cf, 'evt08.seed.example.com');
    expect((await upload(cf, req.id, await leafFor(req, intermediate), intermediate.pem)).status).toBe(202);
    await waitForRequest(cf, req.id, (v) => v.state === 'CHAIN_INCOMPLETE');
    const imported = await importTrust(cf, 'roots', root.pem);
    expect(imported.status).toBe(201);
    await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNABLE');
    expect((await cf.api(`/api/v1/requests/${req.id}/assign`, { method: 'POST', json: {} })).status).toBe(202);
    const done = await waitForRequest(cf, req.id, (v) => v.state === 'ASSIGNED');

    const all = await readStream(cf);
    const mine = all.filter((m) => m.body.subject === req.id);
    const subjects = mine.map((m) => m.subject);
    for (const s of ['certflow.request.submitted.v1', 'certflow.certificate.issued.v1', 'certflow.chain.incomplete.v1', 'certflow.chain.complete.v1', 'certflow.certificate.assigned.v1']) {
      expect(subjects).toContain(s);
    }
    const ids = new Set<string>();
    for (const m of mine) {
      expect(m.body).toMatchObject({ specversion: '1.0', type: m.subject, subject: req.id, datacontenttype: 'application/json' });
      expect(typeof m.body.id).toBe('string');
      expect(m.body.id.length).toBeGreaterThan(0);
      expect(m.msgId).toBe(m.body.id);
      expect(ids.has(m.body.id)).toBe(false);
      ids.add(m.body.id);
      expect(m.body.source).toMatch(/^certflow\//);
      expect(Number.isNaN(Date.parse(m.body.time))).toBe(false);
      expect(m.body.data).toEqual(expect.objectContaining({ requestId: req.id }));
    }
    const first = (s: string) => mine.find((m) => m.subject === `certflow.${s}.v1`) as StoredMessage;
    const seqOf = (s: string) => first(s).seq;
    expect(seqOf('request.submitted')).toBeLessThan(seqOf('certificate.issued'));
    expect(seqOf('certificate.issued')).toBeLessThan(seqOf('chain.incomplete'));
    expect(seqOf('chain.incomplete')).toBeLessThan(seqOf('chain.complete'));
    expect(seqOf('chain.complete')).toBeLessThan(seqOf('certificate.assigned'));
    for (const m of mine.filter((x) => x.subject === 'certflow.certificate.assigned.v1')) {
      expect(m.seq).toBeGreaterThan(seqOf('chain.complete'));
    }

    expect(first('request.submitted').body.data).toMatchObject({ host: req.host, issuer: 'offline', autoAssign: true, usages: done.usages });
    expect(first('request.submitted').body.data.csr).toContain('BEGIN CERTIFICATE REQUEST');
    expect(first('certificate.issued').body.data).toMatchObject({ issuer: 'offline', thumbprint: done.thumbprint });
    expect(first('certificate.issued').body.data.chain).toHaveLength(1);
    expect(first('chain.incomplete').body.data).toMatchObject({ thumbprint: done.thumbprint, missing: [{ kind: 'root', subject: 'CN=Seed Root events, O=certflow e2e' }] });
    expect(first('chain.complete').body.data).toMatchObject({ thumbprint: done.thumbprint, path: done.validation.path });
    expect(first('certificate.assigned').body.data).toMatchObject({ host: req.host, thumbprint: done.thumbprint, usages: done.assignment.usages });
    expect(first('certificate.assigned').body.data.certificate).toContain('BEGIN CERTIFICATE');
    expect(Array.isArray(first('certificate.assigned').body.data.chain)).toBe(true);

    const rootThumbprint = thumbprintSha1(root.certificate);
    const trustUpdated = all.filter((m) => m.subject === 'certflow.trust.updated.v1' && m.body.data.thumbprint === rootThumbprint);
    expect(trustUpdated).toHaveLength(1);
    const t = trustUpdated[0];
    expect(t.body).toMatchObject({ specversion: '1.0', type: 'certflow.trust.updated.v1', datacontenttype: 'application/json' });
    expect(t.msgId).toBe(t.body.id);
    expect(t.body.data).toMatchObject({ store: 'roots', action: 'imported', thumbprint: rootThumbprint, subject: 'CN=Seed Root events, O=certflow e2e' });
    // The import came after the gap was reported, and the re-validation after the import.
    expect(t.seq).toBeGreaterThan(seqOf('chain.incomplete'));
    expect(t.seq).toBeLessThan(seqOf('chain.complete'));
  });
});
