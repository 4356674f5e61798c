import { isPkiInputError, thumbprintSha1 } from '@certflow/pki';
import { TestPki } from '@certflow/testing';
import { thumbprintRefusal } from './thumbprint.check';

describe(thumbprintRefusal, () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await TestPki.create();
  });

  describe('when the certificate is the one the request names', () => {
    it('has nothing to say', async () => {
      const leaf = await pki.leafFor({ host: 'web01.example.com' });
      expect(thumbprintRefusal(leaf.pem, thumbprintSha1(leaf.certificate))).toBeNull();
    });
  });

  describe('when the fact names another certificate', () => {
    it('refuses with ThumbprintMismatch, naming both thumbprints', async () => {
      const [named, carried] = [await pki.leafFor({ host: 'web01.example.com' }), await pki.leafFor({ host: 'web01.example.com' })];
      const refusal = thumbprintRefusal(carried.pem, thumbprintSha1(named.certificate));
      expect(refusal?.code).toBe('ThumbprintMismatch');
      expect(refusal?.message).toContain(thumbprintSha1(carried.certificate));
      expect(refusal?.message).toContain(thumbprintSha1(named.certificate));
    });

    it('does not take a lower-case thumbprint for the upper-case hex the contract names', async () => {
      const leaf = await pki.leafFor({ host: 'web01.example.com' });
      expect(thumbprintRefusal(leaf.pem, thumbprintSha1(leaf.certificate).toLowerCase())?.code).toBe('ThumbprintMismatch');
    });
  });

  describe('when the certificate cannot be read', () => {
    it('throws a PkiInputError, which the caller turns into CertificateUnparsable', () => {
      let caught: unknown;
      try {
        thumbprintRefusal('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'AB'.repeat(20));
      } catch (e) {
        caught = e;
      }
      expect(isPkiInputError(caught)).toBe(true);
    });
  });
});
