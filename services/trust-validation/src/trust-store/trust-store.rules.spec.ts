import { KeyUsageFlags, type Extension } from '@peculiar/x509';
import { certificateFacts, completePath, createIntermediateCa, type X509Certificate } from '@certflow/pki';
import { duplicateSkiExtension, intermediateCaWith, notDerExtension, TestPki, unknownCriticalExtension, weakRsaKeys } from '@certflow/testing';
import { checkFitsStore, checkUsableAsCa, checkUsableOnPaths, isSelfSigned } from './trust-store.rules';

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

  describe('when a CA certificate parses but the path engine finds it damaged', () => {
    const SUBJECT = 'CN=Damaged Intermediate, O=certflow tests';
    /** Whether a leaf issued under `ca` completes a path to the test root through it. */
    const leafCompletesThrough = async (ca: Awaited<ReturnType<typeof intermediateCaWith>>) => {
      const issued = await pki.leafFor({ host: 'damaged.example.com', issuer: ca });
      return completePath({ leaf: new Uint8Array(issued.certificate.rawData), intermediates: [ca.certificate], roots: [pki.root.certificate], at: new Date() }) !== null;
    };

    const damages: [string, (keys: CryptoKeyPair) => Promise<Extension[]>, RegExp][] = [
      ['an extension whose value is not DER', notDerExtension, /the extension 1\.3\.6\.1\.4\.1\.55555\.1 is malformed/],
      ['an extension that appears twice', duplicateSkiExtension, /the extension 2\.5\.29\.14 appears twice/],
    ];

    it.each(damages)('refuses one with %s as CERTIFICATE_UNPARSABLE, naming it and why', async (_sentence, extra, why) => {
      const damaged = await intermediateCaWith(pki.root, SUBJECT, extra);
      // What made it importable before: the store rules alone take it, though no path goes through it.
      expect(await checkFitsStore(damaged.certificate, 'intermediates')).toBeNull();
      expect(await leafCompletesThrough(damaged)).toBe(false);

      const refusal = checkUsableOnPaths(damaged.certificate, 3);
      expect(refusal).toMatchObject({ code: 'CERTIFICATE_UNPARSABLE', subject: SUBJECT });
      expect(refusal?.message).toMatch(/^Certificate #3 "CN=Damaged Intermediate, O=certflow tests" \([0-9A-F]{40}\) is damaged: /);
      expect(refusal?.message).toMatch(why);
      expect(refusal?.message).toMatch(/could never complete a chain/);
    });

    it('takes the same CA made without the damage, which does complete paths', async () => {
      const sound = await intermediateCaWith(pki.root, SUBJECT, async () => []);
      expect(await leafCompletesThrough(sound)).toBe(true);
      expect(checkUsableOnPaths(sound.certificate, 1)).toBeNull();
    });

    it('takes the certificates the path engine reads cleanly', () => {
      expect(certificateFacts(new Uint8Array(pki.intermediate.certificate.rawData)).defects).toEqual([]);
      expect(checkUsableOnPaths(pki.intermediate.certificate, 1)).toBeNull();
      expect(checkUsableOnPaths(pki.root.certificate, 2)).toBeNull();
      expect(checkUsableOnPaths(leaf, 1)).toBeNull();
    });
  });

  describe('self-signed', () => {
    it('needs the signature to verify with its own key, not just subject = issuer', async () => {
      expect(await isSelfSigned(pki.root.certificate)).toBe(true);
      expect(selfIssued.subject).toBe(selfIssued.issuer);
      expect(await isSelfSigned(selfIssued)).toBe(false);
    });
  });

  describe('when a sound CA certificate breaks a rule chain validation applies to every CA', () => {
    const SUBJECT = 'CN=Unusable Intermediate, O=certflow tests';
    const leafCompletesThrough = async (ca: Awaited<ReturnType<typeof intermediateCaWith>>) => {
      const issued = await pki.leafFor({ host: 'unusable.example.com', issuer: ca });
      return completePath({ leaf: new Uint8Array(issued.certificate.rawData), intermediates: [ca.certificate], roots: [pki.root.certificate], at: new Date() }) !== null;
    };

    const unusable: [string, () => Promise<Awaited<ReturnType<typeof intermediateCaWith>>>, string, RegExp][] = [
      ['a critical extension no validator here understands', () => intermediateCaWith(pki.root, SUBJECT, unknownCriticalExtension), 'UnknownCriticalExtension', /1\.3\.6\.1\.4\.1\.55555\.2/],
      ['a 1024-bit RSA key', async () => intermediateCaWith(pki.root, SUBJECT, async () => [], { keys: await weakRsaKeys() }), 'WeakKey', /1024-bit RSA key/],
      ['KeyUsage without keyCertSign', () => intermediateCaWith(pki.root, SUBJECT, async () => [], { keyUsage: KeyUsageFlags.digitalSignature }), 'IssuerKeyUsageMissing', /keyCertSign/],
    ];

    it.each(unusable)('refuses one with %s as CA_CERTIFICATE_UNUSABLE, naming the rule', async (_sentence, make, rule, why) => {
      const ca = await make();
      // It parses cleanly and fits the store: only the new rule stands between it and the store.
      expect(checkUsableOnPaths(ca.certificate, 1)).toBeNull();
      expect(await checkFitsStore(ca.certificate, 'intermediates')).toBeNull();
      expect(await leafCompletesThrough(ca)).toBe(false);

      const refusal = checkUsableAsCa(ca.certificate, 2, 'intermediates');
      expect(refusal).toMatchObject({ code: 'CA_CERTIFICATE_UNUSABLE', rule, subject: SUBJECT });
      expect(refusal?.message).toMatch(/^Certificate #2 "CN=Unusable Intermediate, O=certflow tests" \([0-9A-F]{40}\) cannot serve as an intermediate: /);
      expect(refusal?.message).toMatch(why);
    });

    it('takes the test root and intermediate, which complete paths', () => {
      expect(checkUsableAsCa(pki.root.certificate, 1, 'roots')).toBeNull();
      expect(checkUsableAsCa(pki.intermediate.certificate, 1, 'intermediates')).toBeNull();
    });
  });
});
