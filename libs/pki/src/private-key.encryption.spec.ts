import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { decryptPrivateKey, encryptPrivateKey, isCurrentKeyBlob } from './private-key.encryption';
import { deriveKeyFromSecret, KeyEncryptionKey } from './key-encryption-key';
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

/** A blob as certflow wrote them before v2, made here independently of the module under test. */
function v1Blob(der: ArrayBuffer, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(Buffer.from(der)), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

const SIGNING = 'certflow/internal-ca/internal/signing-key';
const PASSPHRASE = 'correct horse battery staple';

describe('private keys at rest', () => {
  let der: ArrayBuffer;
  const raw = randomBytes(32);
  const rawKek = KeyEncryptionKey.fromSecret(raw.toString('hex'));
  const passKek = KeyEncryptionKey.fromSecret(PASSPHRASE);
  beforeAll(async () => {
    der = await exportPkcs8((await generateKeyPair('ec-p256')).privateKey);
  });

  describe('when encrypted with a 64-hex-digit key and decrypted with it under the same label', () => {
    it('gives back the same PKCS#8 bytes from a v2 raw blob with no salt and a fresh IV each time', () => {
      const blob = encryptPrivateKey(der, rawKek, SIGNING);
      expect(blob).toMatch(/^v2:raw::[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]+$/);
      expect(Buffer.from(decryptPrivateKey(blob, rawKek, SIGNING))).toEqual(Buffer.from(der));
      expect(Buffer.from(decryptPrivateKey(blob, raw, SIGNING))).toEqual(Buffer.from(der));
      expect(encryptPrivateKey(der, rawKek, SIGNING)).not.toBe(blob);
      expect(isCurrentKeyBlob(blob)).toBe(true);
    });
  });

  describe('when encrypted with a passphrase', () => {
    it('salts every blob with its own random salt and opens each', () => {
      const a = encryptPrivateKey(der, passKek, SIGNING);
      const b = encryptPrivateKey(der, passKek, SIGNING);
      const saltOf = (blob: string) => blob.split(':')[2];
      expect(a).toMatch(/^v2:scrypt:[A-Za-z0-9+/=]{24}:/);
      expect(Buffer.from(saltOf(a), 'base64')).toHaveLength(16);
      expect(saltOf(a)).not.toBe(saltOf(b));
      const fresh = KeyEncryptionKey.fromSecret(PASSPHRASE);
      expect(Buffer.from(decryptPrivateKey(a, fresh, SIGNING))).toEqual(Buffer.from(der));
      expect(Buffer.from(decryptPrivateKey(b, fresh, SIGNING))).toEqual(Buffer.from(der));
    });

    it('derives the AES key from the blob salt, not from a fixed one', () => {
      const blob = encryptPrivateKey(der, passKek, SIGNING);
      const salt = Buffer.from(blob.split(':')[2], 'base64');
      const expected = scryptSync(PASSPHRASE, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
      expect(passKek.keyFor(salt)).toEqual(expected);
      expect(passKek.keyFor(salt)).not.toEqual(passKek.legacyKey());
    });

    it('refuses a wrong passphrase', () => {
      const blob = encryptPrivateKey(der, passKek, SIGNING);
      expect(codeOf(() => decryptPrivateKey(blob, KeyEncryptionKey.fromSecret(PASSPHRASE + '!'), SIGNING))).toBe('KEY_DECRYPT_FAILED');
    });
  });

  describe('when the blob is opened under another label (moved to another issuer or purpose)', () => {
    it.each([
      ['another issuer', 'certflow/internal-ca/other/signing-key'],
      ['another purpose', 'certflow/internal-ca/internal/root-key'],
    ])('refuses it: %s', (_, label) => {
      expect(codeOf(() => decryptPrivateKey(encryptPrivateKey(der, rawKek, SIGNING), rawKek, label))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey(encryptPrivateKey(der, passKek, SIGNING), passKek, label))).toBe('KEY_DECRYPT_FAILED');
    });
  });

  describe('when the key is wrong or the blob altered', () => {
    it('refuses with KEY_DECRYPT_FAILED', () => {
      const blob = encryptPrivateKey(der, rawKek, SIGNING);
      const [v, kdf, salt, iv, tag, ct] = blob.split(':');
      const flipped = Buffer.from(ct, 'base64');
      flipped[5] ^= 0x80;
      expect(codeOf(() => decryptPrivateKey(blob, randomBytes(32), SIGNING))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey([v, kdf, salt, iv, tag, flipped.toString('base64')].join(':'), rawKek, SIGNING))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey([v, kdf, salt, Buffer.alloc(12).toString('base64'), tag, ct].join(':'), rawKek, SIGNING))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey(['v3', kdf, salt, iv, tag, ct].join(':'), rawKek, SIGNING))).toBe('KEY_DECRYPT_FAILED');
      expect(codeOf(() => decryptPrivateKey('garbage', rawKek, SIGNING))).toBe('KEY_DECRYPT_FAILED');
    });

    it('refuses a blob whose kdf does not fit the configured key, saying which to configure', () => {
      const sealed = encryptPrivateKey(der, passKek, SIGNING);
      expect(() => decryptPrivateKey(sealed, rawKek, SIGNING)).toThrow(/sealed with a passphrase/);
      const edited = encryptPrivateKey(der, rawKek, SIGNING).replace(/^v2:raw:/, `v2:scrypt:${randomBytes(16).toString('base64')}`);
      expect(codeOf(() => decryptPrivateKey(edited, passKek, SIGNING))).toBe('KEY_DECRYPT_FAILED');
    });

    it('refuses a key that is not 32 bytes and an empty label', () => {
      expect(codeOf(() => encryptPrivateKey(der, randomBytes(16), SIGNING))).toBe('ENCRYPTION_KEY_INVALID');
      expect(codeOf(() => encryptPrivateKey(der, rawKek, ''))).toBe('KEY_LABEL_INVALID');
    });
  });

  describe('when the blob was written in format v1 (before labels and salts)', () => {
    it('opens it with the raw key and with the passphrase, under any label, and marks it for rewriting', () => {
      const fromRaw = v1Blob(der, raw);
      const fromPassphrase = v1Blob(der, scryptSync(PASSPHRASE, 'certflow/pki/private-key-at-rest/v1', 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }));
      expect(Buffer.from(decryptPrivateKey(fromRaw, rawKek, SIGNING))).toEqual(Buffer.from(der));
      expect(Buffer.from(decryptPrivateKey(fromPassphrase, passKek, SIGNING))).toEqual(Buffer.from(der));
      expect(isCurrentKeyBlob(fromRaw)).toBe(false);
      expect(codeOf(() => decryptPrivateKey(fromRaw, randomBytes(32), SIGNING))).toBe('KEY_DECRYPT_FAILED');
    });
  });

  describe('KeyEncryptionKey', () => {
    it('uses 64 hex digits and base64 of 32 bytes as they are, anything else as a passphrase', () => {
      expect(KeyEncryptionKey.fromSecret(raw.toString('hex')).keyFor(randomBytes(16))).toEqual(raw);
      expect(KeyEncryptionKey.fromSecret(raw.toString('base64')).kdf).toBe('raw');
      expect(KeyEncryptionKey.fromSecret(PASSPHRASE).kdf).toBe('scrypt');
      expect(deriveKeyFromSecret(raw.toString('hex'))).toEqual(raw);
    });

    it('never prints the secret', () => {
      const text = `${passKek} ${JSON.stringify({ k: rawKek })} ${require('node:util').inspect(rawKek)}`;
      expect(text).not.toContain(PASSPHRASE);
      expect(text).not.toContain(raw.toString('hex'));
      expect(text).toContain('KeyEncryptionKey');
    });

    it('refuses an empty secret', () => {
      expect(codeOf(() => KeyEncryptionKey.fromSecret(''))).toBe('ENCRYPTION_KEY_INVALID');
    });
  });
});
