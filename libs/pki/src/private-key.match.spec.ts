import { createRootCa } from './certificate-authority.issuer';
import { exportPkcs8, generateKeyPair } from './key-pair.factory';
import { privateKeyMatchesCertificate } from './private-key.match';

describe('privateKeyMatchesCertificate', () => {
  describe('when the key is the certificate key', () => {
    it.each(['ec-p256', 'ec-p384', 'rsa-2048'] as const)('matches (%s)', async (keyType) => {
      const ca = await createRootCa({ subject: 'CN=Match Test', keyType });
      expect(privateKeyMatchesCertificate(await exportPkcs8(ca.privateKey), ca.certificate)).toBe(true);
    });
  });

  describe('when the key is another key', () => {
    it('does not match, of the same type or another', async () => {
      const ca = await createRootCa({ subject: 'CN=Match Test', keyType: 'ec-p256' });
      expect(privateKeyMatchesCertificate(await exportPkcs8((await generateKeyPair('ec-p256')).privateKey), ca.certificate)).toBe(false);
      expect(privateKeyMatchesCertificate(await exportPkcs8((await generateKeyPair('ec-p384')).privateKey), ca.certificate)).toBe(false);
    });

    it('does not match bytes that are no key at all', async () => {
      const ca = await createRootCa({ subject: 'CN=Match Test', keyType: 'ec-p256' });
      expect(privateKeyMatchesCertificate(new Uint8Array([1, 2, 3]).buffer, ca.certificate)).toBe(false);
    });
  });
});
