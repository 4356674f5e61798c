import { checkCsr, createRootCa, generateKeyPair, issueLeaf, type CaMaterial, type CheckedCsr } from '@certflow/pki';
import { testCsr } from '@certflow/testing';
import { ApiError } from '../../../http/api-error';
import { checkCertificateNames } from './certificate-names.check';

const HOST = 'web01.corp.example.com';

describe(checkCertificateNames, () => {
  let ca: CaMaterial;
  let keys: CryptoKeyPair;
  let csr: CheckedCsr;

  beforeAll(async () => {
    ca = await createRootCa({ subject: 'CN=Offline Test CA' });
    keys = await generateKeyPair('ec-p256');
    const made = await testCsr({ host: HOST, names: ['alias.corp.example.com', '10.0.0.9'], subject: `CN=${HOST}, O=Acme` });
    csr = await checkCsr(made.pem, HOST);
  });

  const leafFor = (dnsNames: string[], ipAddresses: string[] = []) => issueLeaf({ issuer: ca, publicKey: keys.publicKey, subject: 'CN=whatever the CA wrote', dnsNames, ipAddresses });

  function refusal(fn: () => void): { status: number; code: string; details: unknown } {
    try {
      fn();
    } catch (e) {
      if (e instanceof ApiError) return { status: e.getStatus(), code: e.code, details: e.details };
      throw e;
    }
    throw new Error('not refused');
  }

  describe('when the certificate names exactly the CSR names', () => {
    it('accepts them in any order and case, a trailing dot ignored, whatever the subject says', async () => {
      const leaf = await leafFor(['ALIAS.corp.example.com.', 'Web01.Corp.Example.com'], ['10.0.0.9']);
      expect(() => checkCertificateNames(leaf, csr, HOST)).not.toThrow();
    });

    it('accepts a CN-only CSR answered with the host as the one SAN', async () => {
      const cnOnly = await checkCsr((await testCsr({ host: HOST, noSan: true })).pem, HOST);
      const leaf = await leafFor([HOST]);
      expect(() => checkCertificateNames(leaf, cnOnly, HOST)).not.toThrow();
    });
  });

  describe('when the names differ', () => {
    it('refuses other names with CERTIFICATE_NAMES_MISMATCH, listing what is missing and what is extra', async () => {
      const leaf = await leafFor(['bank.example.org', HOST]);
      expect(refusal(() => checkCertificateNames(leaf, csr, HOST))).toEqual({
        status: 400,
        code: 'CERTIFICATE_NAMES_MISMATCH',
        details: { missing: ['alias.corp.example.com', '10.0.0.9'], extra: ['bank.example.org'] },
      });
    });

    it('refuses a certificate with one name more than the CSR', async () => {
      const leaf = await leafFor([HOST, 'alias.corp.example.com', 'extra.corp.example.com'], ['10.0.0.9']);
      expect(refusal(() => checkCertificateNames(leaf, csr, HOST)).details).toEqual({ missing: [], extra: ['extra.corp.example.com'] });
    });

    it('refuses a certificate with no SAN at all, even with the host as its CN', async () => {
      const leaf = await issueLeaf({ issuer: ca, publicKey: keys.publicKey, subject: `CN=${HOST}` });
      expect(refusal(() => checkCertificateNames(leaf, csr, HOST)).details).toEqual({ missing: [HOST, 'alias.corp.example.com', '10.0.0.9'], extra: [] });
    });
  });
});
