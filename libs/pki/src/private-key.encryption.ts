import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { PkiInputError } from './pki-input.error';

/**
 * Private keys at rest: AES-256-GCM with a random 12-byte IV, stored as the versioned text
 * `v1:<iv base64>:<tag base64>:<ciphertext base64>`. A later format gets `v2:` and this reader keeps `v1`.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Fixed application salt for passphrase-derived keys (a salt per secret would need storing; the secret is one per deployment). */
const APP_SALT = 'certflow/pki/private-key-at-rest/v1';

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new PkiInputError('ENCRYPTION_KEY_INVALID', 'The key-encryption key must be 32 bytes; derive it with deriveKeyFromSecret().');
  }
}

/** Encrypts PKCS#8 DER for storage. */
export function encryptPrivateKey(pkcs8Der: ArrayBuffer, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(Buffer.from(pkcs8Der)), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64'), tag.toString('base64'), ct.toString('base64')].join(':');
}

/**
 * Decrypts a blob from {@link encryptPrivateKey}.
 * @throws PkiInputError `KEY_DECRYPT_FAILED` on a wrong key, a tampered or malformed blob.
 */
export function decryptPrivateKey(blob: string, key: Buffer): ArrayBuffer {
  checkKey(key);
  const parts = typeof blob === 'string' ? blob.split(':') : [];
  if (parts.length !== 4 || parts[0] !== VERSION) {
    throw new PkiInputError('KEY_DECRYPT_FAILED', `The stored key is not a "${VERSION}:iv:tag:ciphertext" blob.`);
  }
  const [, ivText, tagText, ctText] = parts;
  const iv = Buffer.from(ivText, 'base64');
  const tag = Buffer.from(tagText, 'base64');
  const ct = Buffer.from(ctText, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new PkiInputError('KEY_DECRYPT_FAILED', 'The stored key blob is malformed (IV or tag length).');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(ct), decipher.final()]);
    return plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength) as ArrayBuffer;
  } catch {
    throw new PkiInputError('KEY_DECRYPT_FAILED', 'The stored key could not be decrypted: wrong key-encryption key, or the blob was altered.');
  }
}

/**
 * The 32-byte key-encryption key from a configured secret: 64 hex digits or base64 of exactly 32 bytes
 * are used as they are; anything else is a passphrase stretched with scrypt (N=2^15) and a fixed app salt.
 */
export function deriveKeyFromSecret(secret: string): Buffer {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new PkiInputError('ENCRYPTION_KEY_INVALID', 'The key-encryption secret is empty; set 64 hex digits, 32 bytes of base64, or a long passphrase.');
  }
  const trimmed = secret.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) {
    const raw = Buffer.from(trimmed, 'base64');
    if (raw.length === 32) return raw;
  }
  return scryptSync(secret, APP_SALT, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}
