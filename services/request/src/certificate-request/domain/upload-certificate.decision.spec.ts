import { REQUEST_STATES, type RequestState } from '@certflow/contracts';
import { checkCsr, createRootCa, generateKeyPair, issueLeaf, toPem, type CaMaterial, type CheckedCsr, type X509Certificate } from '@certflow/pki';
import { testCsr } from '@certflow/testing';
import { decide, evolve, evolveAll, stateAfter, type RequestEvent, type RequestSnapshot, type UploadCertificate } from './certificate-request.state';

const HOST = 'web01.corp.example.com';
const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:00:01Z');
const TP = 'A'.repeat(40);

describe('UploadCertificate (the offline upload rules)', () => {
  let ca: CaMaterial;
  let keys: CryptoKeyPair;
  let otherKeys: CryptoKeyPair;
  let csrPem: string;
  let csr: CheckedCsr;
  let intermediate: X509Certificate;

  beforeAll(async () => {
    ca = await createRootCa({ subject: 'CN=Offline Test CA' });
    otherKeys = await generateKeyPair('ec-p256');
    const made = await testCsr({ host: HOST, names: ['alias.corp.example.com', '10.0.0.9'], subject: `CN=${HOST}, O=Acme` });
    keys = made.keys;
    csrPem = made.pem;
    csr = await checkCsr(made.pem, HOST);
    intermediate = ca.certificate;
  });

  const leafFor = (dnsNames: string[], ipAddresses: string[] = [], publicKey = keys.publicKey) =>
    issueLeaf({ issuer: ca, publicKey, subject: 'CN=whatever the CA wrote', dnsNames, ipAddresses });
  const goodLeaf = () => leafFor([HOST, 'alias.corp.example.com'], ['10.0.0.9']);

  /** The request as it moves on: submitted for issuer `issuer`, then through each state. */
  function inState(state: RequestState, issuer = 'offline'): RequestSnapshot {
    const events: RequestEvent[] = [
      { type: 'Submitted', at: T0, id: 'r1', host: HOST, usages: ['Default'], autoAssign: true, issuer, friendlyName: null, csr: csrPem },
    ];
    const then: Record<RequestState, RequestEvent[]> = {
      SUBMITTED: [],
      PENDING: [{ type: 'Pending', at: T0, detail: 'waiting for the upload' }],
      ISSUED: [{ type: 'Issued', at: T0, thumbprint: TP, certificate: 'PEM', chain: [] }],
      CHAIN_INCOMPLETE: [{ type: 'Issued', at: T0, thumbprint: TP, certificate: 'PEM', chain: [] }, { type: 'ChainIncomplete', at: T0, missing: [], reasons: [] }],
      ASSIGNABLE: [{ type: 'Issued', at: T0, thumbprint: TP, certificate: 'PEM', chain: [] }, { type: 'ChainCompleted', at: T0, path: [TP] }],
      ASSIGNED: [
        { type: 'Issued', at: T0, thumbprint: TP, certificate: 'PEM', chain: [] },
        { type: 'ChainCompleted', at: T0, path: [TP] },
        { type: 'Assigned', at: T0, usages: ['Default'] },
      ],
      FAILED: [{ type: 'Failed', at: T0, stage: 'issuance', code: 'Refused', message: 'no' }],
      SUPERSEDED: [
        { type: 'Issued', at: T0, thumbprint: TP, certificate: 'PEM', chain: [] },
        { type: 'ChainCompleted', at: T0, path: [TP] },
        { type: 'Assigned', at: T0, usages: ['Default'] },
        { type: 'Superseded', at: T0, by: 'r2' },
      ],
      REVOKED: [
        { type: 'Issued', at: T0, thumbprint: TP, certificate: 'PEM', chain: [] },
        { type: 'Revoked', at: T0, reason: 'keyCompromise', revokedAt: T0 },
      ],
    };
    return evolveAll(null, [...events, ...then[state]])!;
  }

  const upload = (leaf: X509Certificate, chain: X509Certificate[] = []): UploadCertificate => ({
    type: 'UploadCertificate',
    at: T1,
    by: 'alice',
    offlineIssuers: ['offline'],
    csr,
    leaf,
    chain,
  });

  describe('when the request takes an upload (offline issuer, PENDING)', () => {
    it('accepts the certificate the CA issued for the CSR, as PEM with its chain and who uploaded it', async () => {
      const leaf = await goodLeaf();
      expect(decide(inState('PENDING'), upload(leaf, [intermediate]))).toEqual({
        kind: 'accepted',
        events: [{ type: 'CertificateUploaded', at: T1, certificate: toPem(leaf), chain: [toPem(intermediate)], by: 'alice' }],
      });
    });

    it('changes nothing in the request itself: it stays PENDING until ca-gateway answers with certificate.issued', async () => {
      const before = inState('PENDING');
      const d = decide(before, upload(await goodLeaf()));
      if (d.kind !== 'accepted') throw new Error(`not accepted: ${d.kind}`);
      expect(evolveAll(before, d.events)).toBe(before);
      expect(d.events.map(stateAfter)).toEqual([null]);
    });

    it('accepts the names in any order and case, a trailing dot ignored, whatever the subject says', async () => {
      const leaf = await leafFor(['ALIAS.corp.example.com.', 'Web01.Corp.Example.com'], ['10.0.0.9']);
      expect(decide(inState('PENDING'), upload(leaf)).kind).toBe('accepted');
    });

    it('accepts a CN-only CSR answered with the host as the one SAN', async () => {
      const cnOnly = await testCsr({ host: HOST, noSan: true });
      const checked = await checkCsr(cnOnly.pem, HOST);
      const leaf = await leafFor([HOST], [], cnOnly.keys.publicKey);
      expect(decide(inState('PENDING'), { ...upload(leaf), csr: checked }).kind).toBe('accepted');
    });
  });

  describe('when the request does not take an upload', () => {
    it('refuses a request whose issuer delivers its certificates itself with NOT_OFFLINE, in any state', async () => {
      const leaf = await goodLeaf();
      for (const state of REQUEST_STATES) {
        expect(decide(inState(state, 'internal'), upload(leaf))).toEqual({
          kind: 'rejected',
          code: 'NOT_OFFLINE',
          message: 'request r1 is for issuer "internal", which delivers its certificates itself; only offline issuers take an upload',
        });
      }
    });

    it.each(REQUEST_STATES.filter((s) => s !== 'PENDING'))('refuses an upload in %s with NOT_PENDING, naming the state', async (state) => {
      expect(decide(inState(state), upload(await goodLeaf()))).toEqual({
        kind: 'rejected',
        code: 'NOT_PENDING',
        message: `request r1 is ${state}; a certificate can be uploaded only while it is PENDING`,
        details: { state },
      });
    });

    it('refuses any upload for a request that does not exist', async () => {
      expect(decide(null, upload(await goodLeaf()))).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
    });
  });

  describe('when the certificate is not the one issued for the CSR', () => {
    it("refuses a certificate for another key with KEY_MISMATCH, even with the right names", async () => {
      const leaf = await leafFor([HOST, 'alias.corp.example.com'], ['10.0.0.9'], otherKeys.publicKey);
      expect(decide(inState('PENDING'), upload(leaf))).toEqual({
        kind: 'rejected',
        code: 'KEY_MISMATCH',
        message: "the certificate does not carry the CSR's public key; upload the certificate the CA issued for this request's CSR",
      });
    });

    it('refuses other names with CERTIFICATE_NAMES_MISMATCH, listing what is missing and what is extra', async () => {
      const d = decide(inState('PENDING'), upload(await leafFor(['bank.example.org', HOST])));
      expect(d).toMatchObject({ kind: 'rejected', code: 'CERTIFICATE_NAMES_MISMATCH', details: { missing: ['alias.corp.example.com', '10.0.0.9'], extra: ['bank.example.org'] } });
      if (d.kind === 'rejected') expect(d.message).toMatch(/it lacks alias\.corp\.example\.com, 10\.0\.0\.9; it also names bank\.example\.org/);
    });

    it('refuses a certificate with one name more than the CSR', async () => {
      const leaf = await leafFor([HOST, 'alias.corp.example.com', 'extra.corp.example.com'], ['10.0.0.9']);
      expect(decide(inState('PENDING'), upload(leaf))).toMatchObject({ details: { missing: [], extra: ['extra.corp.example.com'] } });
    });

    it('refuses a certificate with no SAN at all, even with the host as its CN', async () => {
      const leaf = await issueLeaf({ issuer: ca, publicKey: keys.publicKey, subject: `CN=${HOST}` });
      expect(decide(inState('PENDING'), upload(leaf))).toMatchObject({ details: { missing: [HOST, 'alias.corp.example.com', '10.0.0.9'], extra: [] } });
    });
  });

  it('an upload applied to the request changes no field, not even updatedAt', async () => {
    const before = inState('PENDING');
    expect(evolve(before, { type: 'CertificateUploaded', at: T1, certificate: 'PEM', chain: [], by: 'alice' })).toEqual(before);
  });
});
