import '@certflow/pki';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { certificateDetails, createRootCa, issueLeaf, thumbprintSha1, toPem } from '@certflow/pki';
import { ApiClient } from '../api-client';
import { CliError, EXIT } from '../exit-codes';
import { createKey } from '../key-store';
import { namesOf, runRenew, submitRenewal } from './renew-flow';

type Json = Record<string, unknown>;

/**
 * The renew route and the request view of the API in memory, on a real HTTP port: enough for the
 * CLI's own logic (what it sends, what it writes on the host). The server side is tested in the
 * request service.
 */
async function fakeCertflow(opts: { rotationPolicy: 'Always' | 'Never'; finalState?: 'ASSIGNED' | 'FAILED' | 'CHAIN_INCOMPLETE'; failPosts?: number }) {
  const ca = await createRootCa({ subject: 'CN=Renew Test Root' });
  const requests = new Map<string, Json>();
  const posts: { id: string; body: Json }[] = [];
  let failPosts = opts.failPosts ?? 0;
  const view = async (id: string, publicKey: CryptoKey, state: string, extra: Json = {}) => {
    const leaf = await issueLeaf({ issuer: ca, publicKey, subject: 'CN=web01.example.com', dnsNames: ['web01.example.com', 'web.example.com'] });
    const v = {
      id, host: 'web01.example.com', state, usages: ['Default'], autoAssign: true, issuer: 'internal', friendlyName: null,
      createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', history: [], rotationPolicy: opts.rotationPolicy,
      thumbprint: thumbprintSha1(leaf), certificate: certificateDetails(leaf), validation: { status: 'complete', path: [thumbprintSha1(leaf), thumbprintSha1(ca.certificate)], validatedAt: '2026-01-01T00:00:00Z' },
      ...extra,
    };
    requests.set(id, v);
    return v;
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', async () => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const renew = /^\/api\/v1\/requests\/([^/]+)\/renew$/.exec(req.url!);
      const get = /^\/api\/v1\/requests\/([^/]+)$/.exec(req.url!);
      const cert = /^\/api\/v1\/certificates\/([^/]+)$/.exec(req.url!);
      if (req.method === 'POST' && renew) {
        const body = JSON.parse(raw || '{}') as Json;
        posts.push({ id: renew[1], body });
        if (failPosts-- > 0) return send(503, { error: { code: 'UNAVAILABLE', message: 'try later' } });
        const old = requests.get(renew[1])!;
        if (opts.rotationPolicy === 'Always' && !body.csr) return send(400, { error: { code: 'CSR_REQUIRED', message: 'csr required' } });
        const csrKey = body.csr ? await new x509.Pkcs10CertificateRequest(body.csr as string).publicKey.export() : (await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])).publicKey;
        const state = opts.finalState ?? 'ASSIGNED';
        const extra = state === 'FAILED' ? { failure: { stage: 'issuance', code: 'CA_REFUSED', message: 'policy says no' } } : {};
        const renewal = await view('r2', csrKey, state, { renewalOf: old.id, ...extra });
        return send(201, { ...renewal, state: 'SUBMITTED' });
      }
      if (req.method === 'GET' && get && requests.has(get[1])) return send(200, requests.get(get[1]));
      if (req.method === 'GET' && cert) return send(200, certificateDetails(ca.certificate));
      send(404, { error: { code: 'NOT_FOUND', message: req.url } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const api = new ApiClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' } as never, { retries: 0 });
  return { api, posts, view, requests, close: () => new Promise((r) => server.close(r)) };
}

const spkiOf = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }).toString('base64');

describe('certflow renew', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'certflow-renew-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const quiet = { log: () => undefined };
  let stdout: jest.SpyInstance;
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => (stdout.mockRestore(), stderr.mockRestore()));

  /** A host as `certflow request` left it: key.pem and the installed certificate of request r1. */
  async function hostWithCertificate(f: Awaited<ReturnType<typeof fakeCertflow>>) {
    const { keys } = await createKey(dir, 'ec-p256');
    const old = await f.view('r1', keys.publicKey, 'ASSIGNED');
    writeFileSync(join(dir, 'cert.pem'), (old.certificate as { pem: string }).pem);
    return { oldKey: readFileSync(join(dir, 'key.pem'), 'utf8'), oldCert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  }

  describe('when the policy is Always', () => {
    it('makes a new key (the old one kept as key.pem.prev), submits a CSR for the same names, and installs the renewal', async () => {
      const f = await fakeCertflow({ rotationPolicy: 'Always' });
      try {
        const { oldKey, oldCert } = await hostWithCertificate(f);
        const v = await runRenew(f.api, 'r1', { dir, ...quiet });
        expect(v).toMatchObject({ id: 'r2', state: 'ASSIGNED', renewalOf: 'r1' });

        expect(readFileSync(join(dir, 'key.pem.prev'), 'utf8')).toBe(oldKey);
        const newKey = readFileSync(join(dir, 'key.pem'), 'utf8');
        expect(spkiOf(newKey)).not.toBe(spkiOf(oldKey));
        const csr = new x509.Pkcs10CertificateRequest(f.posts[0].body.csr as string);
        expect(csr.subject).toBe('CN=web01.example.com');
        const san = new x509.SubjectAlternativeNameExtension(csr.extensions.find((e) => e.type === '2.5.29.17')!.rawData);
        expect(san.names.items.map((n) => n.value)).toEqual(['web01.example.com', 'web.example.com']);

        const installed = new X509Certificate(readFileSync(join(dir, 'cert.pem')));
        expect(installed.checkPrivateKey(createPrivateKey(newKey))).toBe(true);
        expect(readFileSync(join(dir, 'cert.pem.prev'), 'utf8')).toBe(oldCert);
        expect(JSON.parse(readFileSync(join(dir, 'request.json'), 'utf8'))).toMatchObject({ id: 'r2', renewalOf: 'r1' });
      } finally {
        await f.close();
      }
    });

    it('re-uses the key it already rotated when a submission is tried again, so the old key stays in key.pem.prev', async () => {
      const f = await fakeCertflow({ rotationPolicy: 'Always', failPosts: 1 });
      try {
        const { oldKey } = await hostWithCertificate(f);
        await expect(submitRenewal(f.api, 'r1', { dir, ...quiet })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
        const rotated = readFileSync(join(dir, 'key.pem'), 'utf8');
        await submitRenewal(f.api, 'r1', { dir, ...quiet });
        expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(rotated);
        expect(readFileSync(join(dir, 'key.pem.prev'), 'utf8')).toBe(oldKey);
        const csrKeys = f.posts.map((p) => Buffer.from(new x509.Pkcs10CertificateRequest(p.body.csr as string).publicKey.rawData).toString('base64'));
        expect(csrKeys[1]).toBe(csrKeys[0]);
      } finally {
        await f.close();
      }
    });

    it('submits a CSR given with --csr as it is, touching no key', async () => {
      const f = await fakeCertflow({ rotationPolicy: 'Always' });
      try {
        const { oldKey } = await hostWithCertificate(f);
        const other = await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
        const csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=web01.example.com', keys: other, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } })).toString('pem');
        writeFileSync(join(dir, 'elsewhere.csr'), csr);
        await submitRenewal(f.api, 'r1', { dir, csrFile: join(dir, 'elsewhere.csr'), ...quiet });
        expect(f.posts[0].body.csr).toBe(csr);
        expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(oldKey);
        expect(existsSync(join(dir, 'key.pem.prev'))).toBe(false);
      } finally {
        await f.close();
      }
    });

    it('refuses a request that is not ASSIGNED before making a key', async () => {
      const f = await fakeCertflow({ rotationPolicy: 'Always' });
      try {
        const { oldKey } = await hostWithCertificate(f);
        f.requests.set('r1', { ...f.requests.get('r1'), state: 'SUPERSEDED', supersededBy: 'r9' });
        await expect(submitRenewal(f.api, 'r1', { dir, ...quiet })).rejects.toMatchObject({ code: 'NOT_RENEWABLE', hint: 'its renewal is r9' });
        expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(oldKey);
        expect(f.posts).toEqual([]);
      } finally {
        await f.close();
      }
    });
  });

  describe('when the policy is Never', () => {
    it('posts no CSR and keeps the key', async () => {
      const f = await fakeCertflow({ rotationPolicy: 'Never' });
      try {
        const { oldKey } = await hostWithCertificate(f);
        const { view, created } = await submitRenewal(f.api, 'r1', { dir, ...quiet });
        expect(created).toBe(true);
        expect(view.renewalOf).toBe('r1');
        expect(f.posts[0].body).toEqual({});
        expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(oldKey);
      } finally {
        await f.close();
      }
    });
  });

  describe('when the renewal does not end ASSIGNED', () => {
    it.each([
      ['FAILED', EXIT.FAILED, /failed at issuance: policy says no/],
      ['CHAIN_INCOMPLETE', EXIT.CHAIN_INCOMPLETE, /chain is incomplete/],
    ] as const)('reports %s with its reason and exit code %d, and installs nothing', async (finalState, exitCode, message) => {
      const f = await fakeCertflow({ rotationPolicy: 'Always', finalState });
      try {
        const { oldCert } = await hostWithCertificate(f);
        const err = (await runRenew(f.api, 'r1', { dir, ...quiet }).catch((e) => e)) as CliError;
        expect(err).toBeInstanceOf(CliError);
        expect(err.exitCode).toBe(exitCode);
        expect(err.message).toMatch(message);
        expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toBe(oldCert);
      } finally {
        await f.close();
      }
    });
  });

  it('takes the names of the certificate details without their DNS:/IP: prefix', () => {
    expect(namesOf(['DNS:a.example.com', 'IP:10.0.0.1', 'IP Address:10.0.0.2'])).toEqual(['a.example.com', '10.0.0.1', '10.0.0.2']);
  });
});
