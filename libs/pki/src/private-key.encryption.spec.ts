import { randomBytes } from 'node:crypto';
import { decryptPrivateKey, deriveKeyFromSecret, encryptPrivateKey } from './private-key.encryption';
import { exportPkcs8, generateKeyPair } from './key-pair.factory';
import { PkiInputError } from './pki-input.error';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PkiInputError);
    return (error as PkiInputError).code;
  }
  return undefined;
}

describe('private keys at rest', () => {
  let der: ArrayBuffer;
  const key = randomBytes(32);
  beforeAll(async () => {
    der = await exportPkcs8((await generateKeyPair('ec-p256')).privateKey);
  });

  describe('when encrypted then decrypted with the same key', () => {
    it('gives back the same PKCS#8 bytes, from a versioned blob with a fresh IV each time', () => {
      const blob = encryptPrivateKey(der, key);
      expect(blob).toMatch(/^v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]+$/);
      expect(Buffer.from(decryptPrivateKey(blob, key))).toEqual(Buffer.from(der));
      expect(encryptPrivateKey(der, key)).not.toBe(blob);
      expect(blob).not.toContain(Buffer.from(der).toString('base64').slice(0, 20));
    });
  });

  describe('when the key is wrong or the blob altered', () => {
    it('refuses with KEY_DECRYPT_FAILED', () => {
      const blob = encryptPrivateKey(der, key);
      const [v, iv, tag, ct] = blob.split(':');
      const flipped = Buffer.from(ct, 'base64');
      flipped[5] ^= 0x80;
      expect(codeOf(() => decryptPrivateKey(blob, randomBytes(32)))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey([v, iv, tag, flipped.toString('base64')].join(':'), key))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey([v, Buffer.alloc(12).toString('base64'), tag, ct].join(':'), key))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey(['v2', iv, tag, ct].join(':'), key))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey('garbage', key))).toBe('KEY_DECRYPT_FAILED');
    });

    it('refuses a key that is not 32 bytes', () => {
      expect(codeOf(() => encryptPrivateKey(der, randomBytes(16)))).toBe('ENCRYPTION_KEY_INVALID');
    });
  });

  describe('deriveKeyFromSecret', () => {
    it('uses 64 hex digits and base64 of 32 bytes as they are', () => {
      const raw = randomBytes(32);
      expect(deriveKeyFromSecret(raw.toString('hex'))).toEqual(raw);
      expect(deriveKeyFromSecret(raw.toString('base64'))).toEqual(raw);
    });

    it('stretches a passphrase to 32 bytes, the same every time, different per passphrase', () => {
      const a = deriveKeyFromSecret('correct horse battery staple');
      expect(a).toHaveLength(32);
      expect(deriveKeyFromSecret('correct horse battery staple')).toEqual(a);
      expect(deriveKeyFromSecret('correct horse battery stapler')).not.toEqual(a);
    });

    it('refuses an empty secret', () => {
      expect(codeOf(() => deriveKeyFromSecret(''))).toBe('ENCRYPTION_KEY_INVALID');
    });
  });
});
