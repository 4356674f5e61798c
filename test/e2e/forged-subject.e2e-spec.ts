import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { CertificateUploadedV1 } from '@certflow/contracts';
import { createRootCa, issueLeaf, parseCertificate, toPem } from '@certflow/pki';
import { testCsr } from '@certflow/testing';
import { startCertflow, waitForRequest, type Certflow } from './harness';

jest.setTimeout(180_000);

/** A CSR made by `openssl req` with the subject exactly as written (`/CN=…/CN=…/O=…`) and these DNS SANs. */
function opensslCsrWithSubject(subject: string, sans: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'forged-csr-'));
  try {
    const args = ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-subj', subject];
    const r = spawnSync('openssl', [...args, '-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Issue 15, "the internal CA builds the subject": a requester limited to `*.web.example.com` used to
 * get a leaf with `CN=a.web.example.com,CN=bank.example.org,O=system:masters` (only the last CN was
 * checked; the CSR's subject bytes were copied). Through the public API with all four services.
 */
describe('forged subjects and names (four services, real PostgreSQL and NATS)', () => {
  let cf: Certflow;
  let requester: string;
  let pg: Client;
  const storedFor = async (host: string) => Number((await pg.query('SELECT count(*) FROM request.certificate_request WHERE host = $1', [host])).rows[0].count);

  beforeAll(async () => {
    cf = await startCertflow({ env: { CERTFLOW_CA_KEY: randomBytes(32).toString('hex') } });
    const token = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'web-ci', role: 'requester', hosts: ['*.web.example.com'] } });
    expect(token.status).toBe(201);
    requester = token.body.secret;
    pg = new Client({ connectionString: cf.databaseUrl });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await cf?.stop();
  });

  describe('when a requester sends a CSR with a CN outside its patterns before the one inside', () => {
    it('refuses it with 403 HOST_NOT_ALLOWED naming that CN, and stores nothing', async () => {
      const csr = opensslCsrWithSubject('/CN=bank.example.org/CN=a.web.example.com/O=system:masters', ['a.web.example.com']);
      const r = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'a.web.example.com', csr }, token: requester });
      expect([r.status, r.body.error.code]).toEqual([403, 'HOST_NOT_ALLOWED']);
      expect(r.body.error.details.refused).toEqual(['bank.example.org']);
      expect(await storedFor('a.web.example.com')).toBe(0);
    });

    it('refuses it whichever CN comes last', async () => {
      const csr = opensslCsrWithSubject('/CN=a.web.example.com/CN=bank.example.org/O=system:masters', ['a.web.example.com']);
      const r = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'a.web.example.com', csr }, token: requester });
      expect([r.status, r.body.error.code, r.body.error.details.refused]).toEqual([403, 'HOST_NOT_ALLOWED', ['bank.example.org']]);
      expect(await storedFor('a.web.example.com')).toBe(0);
    });
  });

  describe('when every name is inside the patterns but the CSR adds CNs and an O', () => {
    it('issues a leaf whose subject is exactly CN=<host>, with the checked names as SANs', async () => {
      const host = 'b.web.example.com';
      const csr = opensslCsrWithSubject(`/CN=c.web.example.com/CN=${host}/O=system:masters/OU=admins`, [host, 'd.web.example.com']);
      const r = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr }, token: requester });
      expect(r.status).toBe(201);
      const done = await waitForRequest(cf, r.body.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 60_000);
      expect(done.state).toBe('ASSIGNED');
      expect(done.certificate.subject).toBe(`CN=${host}`);
      const leaf = parseCertificate(done.certificate.pem);
      expect(Buffer.from(leaf.subjectName.toArrayBuffer()).toString('latin1')).not.toContain('system:masters');
      expect([...done.certificate.subjectAltNames].sort()).toEqual([`DNS:${host}`, 'DNS:d.web.example.com']);
    });
  });

  describe('when an offline certificate carries the CSR key but other names', () => {
    it('refuses the upload with 400 CERTIFICATE_NAMES_MISMATCH listing missing and extra names; the request stays PENDING', async () => {
      const host = 'offline.web.example.com';
      const csr = await testCsr({ host, names: ['alias.web.example.com'] });
      const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: csr.pem, issuer: 'offline' } });
      expect(created.status).toBe(201);
      await waitForRequest(cf, created.body.id, (v) => v.state === 'PENDING');

      const ca = await createRootCa({ subject: 'CN=Forged Names Offline CA' });
      const other = await issueLeaf({ issuer: ca, publicKey: csr.keys.publicKey, subject: `CN=${host}`, dnsNames: [host, 'bank.example.org'] });
      const refused = await cf.api(`/api/v1/requests/${created.body.id}/certificate`, { method: 'POST', json: { certificate: toPem(other) } });
      expect([refused.status, refused.body.error.code]).toEqual([400, 'CERTIFICATE_NAMES_MISMATCH']);
      expect(refused.body.error.details).toEqual({ missing: ['alias.web.example.com'], extra: ['bank.example.org'] });
      expect((await cf.api(`/api/v1/requests/${created.body.id}`)).body).toMatchObject({ state: 'PENDING' });
      const uploaded = await pg.query("SELECT count(*) FROM request.outbox WHERE subject = $1 AND payload->>'subject' = $2", [CertificateUploadedV1.subject, created.body.id]);
      expect(Number(uploaded.rows[0].count)).toBe(0);

      // The right names with the same key still go through.
      const right = await issueLeaf({ issuer: ca, publicKey: csr.keys.publicKey, subject: 'CN=anything', dnsNames: ['ALIAS.web.example.com.', host] });
      const accepted = await cf.api(`/api/v1/requests/${created.body.id}/certificate`, { method: 'POST', json: { certificate: toPem(right), chain: toPem(ca.certificate) } });
      expect(accepted.status).toBeLessThan(300);
      const after = await pg.query("SELECT count(*) FROM request.outbox WHERE subject = $1 AND payload->>'subject' = $2", [CertificateUploadedV1.subject, created.body.id]);
      expect(Number(after.rows[0].count)).toBe(1);
    });
  });
});
