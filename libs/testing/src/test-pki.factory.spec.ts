import { certificateDetails, checkCsr, PkiInputError, thumbprintSha1, validateChain } from '@certflow/pki';
import { TestPki } from './test-pki.factory';

async function codeOf(pem: string, host: string): Promise<string> {
  try {
    await checkCsr(pem, host);
    return 'ACCEPTED';
  } catch (error) {
    if (!(error instanceof PkiInputError)) throw error;
    return error.code;
  }
}

describe('TestPki', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await TestPki.create();
  });

  describe('when created', () => {
    it('is a root and an intermediate issued by it', () => {
      const root = certificateDetails(pki.root.certificate);
      const intermediate = certificateDetails(pki.intermediate.certificate);
      expect(root.subject).toBe('CN=certflow Test Root, O=certflow tests');
      expect(intermediate.issuer).toBe(root.subject);
      expect(intermediate.authorityKeyIdentifier).toBe(root.subjectKeyIdentifier);
      expect(pki.chainPem).toBe(pki.intermediate.pem + pki.root.pem);
    });

    it('makes new keys every time', async () => {
      const other = await TestPki.create();
      expect(thumbprintSha1(other.root.certificate)).not.toBe(thumbprintSha1(pki.root.certificate));
    });
  });

  describe('leafFor', () => {
    it('issues a leaf for the host whose chain is complete', async () => {
      const { certificate, pem, keys } = await pki.leafFor({ host: 'sip.example.com', names: ['pool.example.com'], ips: ['10.0.0.5'] });
      const d = certificateDetails(certificate);
      expect(d.subject).toBe('CN=sip.example.com');
      expect(d.subjectAltNames).toEqual(['DNS:sip.example.com', 'DNS:pool.example.com', 'IP:10.0.0.5']);
      expect(d.extendedKeyUsage).toEqual(['serverAuth', 'clientAuth']);
      expect(pem).toBe(d.pem);
      expect(keys.privateKey.type).toBe('private');
      const result = await validateChain({ leaf: certificate, provided: [pki.intermediate.certificate], roots: [pki.root.certificate], at: new Date() });
      expect(result.status).toBe('complete');
    });

    it('honours eku, validity and issuer', async () => {
      const { certificate } = await pki.leafFor({ host: 'old.example.com', eku: ['serverAuth'], notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z'), issuer: pki.root, keyType: 'rsa-2048' });
      const d = certificateDetails(certificate);
      expect(d.extendedKeyUsage).toEqual(['serverAuth']);
      expect(d.notAfter).toBe('2021-01-01T00:00:00.000Z');
      expect(d.issuer).toBe('CN=certflow Test Root, O=certflow tests');
      expect(d.publicKey).toEqual({ algorithm: 'RSA', size: 2048 });
    });
  });

  describe('CSR helpers', () => {
    it('makes a real CSR that passes checkCsr', async () => {
      const { pem } = await pki.csr({ host: 'sip.example.com', names: ['10.0.0.9'], keyType: 'rsa-2048' });
      const checked = await checkCsr(pem, 'sip.example.com');
      expect(checked.names).toEqual(['sip.example.com', '10.0.0.9']);
      expect(checked.publicKey).toEqual({ algorithm: 'RSA', size: 2048 });
    });

    it('makes the broken CSRs the API must refuse', async () => {
      expect(await codeOf(pki.garbageCsr(), 'x')).toBe('CSR_UNPARSABLE');
      expect(await codeOf((await pki.csrWithBadSignature({ host: 'a.example.com' })).pem, 'a.example.com')).toBe('CSR_SIGNATURE_INVALID');
      expect(await codeOf((await pki.weakRsaCsr({ host: 'a.example.com' })).pem, 'a.example.com')).toBe('CSR_KEY_TOO_WEAK');
    });
  });
});
