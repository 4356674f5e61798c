import { createIntermediateCa, type X509Certificate } from '@certflow/pki';
import { TestPki } from '@certflow/testing';
import { checkFitsStore, isSelfSigned } from './trust-store.rules';

describe('trust store import rules', () => {
  let pki: TestPki;
  let leaf: X509Certificate;
  /** Names itself as issuer but is signed by the root's key (a CA key rollover certificate). */
  let selfIssued: X509Certificate;

  beforeAll(async () => {
    pki = await TestPki.create();
    leaf = (await pki.leafFor({ host: 'pool.example.com' })).certificate;
    selfIssued = (await createIntermediateCa({ subject: 'CN=certflow Test Root, O=certflow tests', issuer: pki.root })).certificate;
  });

  const cases: [string, () => X509Certificate, 'roots' | 'intermediates', string | null][] = [
    ['a self-signed CA certificate is accepted as a root', () => pki.root.certificate, 'roots', null],
    ['an intermediate CA certificate is accepted as an intermediate', () => pki.intermediate.certificate, 'intermediates', null],
    ['an intermediate sent to roots is refused as not a root', () => pki.intermediate.certificate, 'roots', 'NOT_A_ROOT'],
    ['a root sent to intermediates is refused as not an intermediate', () => pki.root.certificate, 'intermediates', 'NOT_AN_INTERMEDIATE'],
    ['a server certificate sent to roots is refused as not a CA', () => leaf, 'roots', 'NOT_A_CA'],
    ['a server certificate sent to intermediates is refused as not a CA', () => leaf, 'intermediates', 'NOT_A_CA'],
    ['a self-issued CA certificate signed by another key is not a root', () => selfIssued, 'roots', 'NOT_A_ROOT'],
    ['a self-issued CA certificate signed by another key may be an intermediate', () => selfIssued, 'intermediates', null],
  ];

  it.each(cases)('%s', async (_sentence, cert, store, code) => {
    const refusal = await checkFitsStore(cert(), store);
    expect(refusal?.code ?? null).toBe(code);
  });

  describe('when a certificate is refused', () => {
    it('says what to import instead', async () => {
      expect((await checkFitsStore(pki.intermediate.certificate, 'roots'))?.message).toMatch(/intermediates store/);
      expect((await checkFitsStore(pki.root.certificate, 'intermediates'))?.message).toMatch(/roots store/);
      expect((await checkFitsStore(leaf, 'roots'))?.message).toMatch(/certflow Test Intermediate/);
    });
  });

  describe('self-signed', () => {
    it('needs the signature to verify with its own key, not just subject = issuer', async () => {
      expect(await isSelfSigned(pki.root.certificate)).toBe(true);
      expect(selfIssued.subject).toBe(selfIssued.issuer);
      expect(await isSelfSigned(selfIssued)).toBe(false);
    });
  });
});
