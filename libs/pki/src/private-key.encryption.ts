import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyEncryptionKey } from './key-encryption-key';
import { PkiInputError } from './pki-input.error';

/**
 * Private keys at rest: AES-256-GCM, stored as versioned text.
 *
 * - `v2:<kdf>:<salt>:<iv>:<tag>:<ciphertext>` (written now): `kdf` is `raw` (CERTFLOW_CA_KEY is the
 *   key; no salt) or `scrypt` (a passphrase, stretched with the blob's own random 16-byte salt). The
 *   associated data is the header plus a label naming what the blob is, e.g.
 *   `certflow/internal-ca/<issuer>/signing-key`: a blob copied to another issuer's row or purpose,
 *   or with its header edited, does not open.
 * - `v1:<iv>:<tag>:<ciphertext>` (read only): no associated data, a fixed scrypt salt. Read it, then
 *   write it again with {@link encryptPrivateKey}; {@link isCurrentKeyBlob} says when to.
 */
const CURRENT = 'v2';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 16;

/** The configured key, or a bare 32-byte key (used as it is). */
export type KeyEncryptionSecret = KeyEncryptionKey | Buffer;

function kekOf(secret: KeyEncryptionSecret): KeyEncryptionKey {
  return secret instanceof KeyEncryptionKey ? secret : KeyEncryptionKey.fromKey(secret);
}

function checkLabel(label: string): void {
  if (typeof label !== 'string' || label.length === 0) {
    throw new PkiInputError('KEY_LABEL_INVALID', 'A key blob needs a label naming what it is, e.g. "certflow/internal-ca/<issuer>/signing-key".');
  }
}

function aad(header: string, label: string): Buffer {
  return Buffer.from(`${header}:${label}`, 'utf8');
}

/** Encrypts PKCS#8 DER for storage as a `v2` blob bound to `label`. */
export function encryptPrivateKey(pkcs8Der: ArrayBuffer, secret: KeyEncryptionSecret, label: string): string {
  const kek = kekOf(secret);
  checkLabel(label);
  const salt = kek.kdf === 'scrypt' ? randomBytes(SALT_BYTES) : Buffer.alloc(0);
  const header = [CURRENT, kek.kdf, salt.toString('base64')].join(':');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek.keyFor(salt), iv);
  cipher.setAAD(aad(header, label));
  const ct = Buffer.concat([cipher.update(Buffer.from(pkcs8Der)), cipher.final()]);
  return [header, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

/**
 * Decrypts a blob from {@link encryptPrivateKey} (or a `v1` blob, which has no label).
 * @throws PkiInputError `KEY_DECRYPT_FAILED` on a wrong key, a label the blob was not made for, a
 * tampered or malformed blob.
 */
export function decryptPrivateKey(blob: string, secret: KeyEncryptionSecret, label: string): ArrayBuffer {
  const kek = kekOf(secret);
  checkLabel(label);
  const parts = typeof blob === 'string' ? blob.split(':') : [];
  if (parts.length === 4 && parts[0] === 'v1') return open(kek.legacyKey(), parts[1], parts[2], parts[3]);
  if (parts.length !== 6 || parts[0] !== CURRENT) {
    throw new PkiInputError('KEY_DECRYPT_FAILED', 'The stored key is neither a "v2:kdf:salt:iv:tag:ciphertext" nor a "v1:iv:tag:ciphertext" blob.');
  }
  const [, kdf, saltText, ivText, tagText, ctText] = parts;
  if (kdf !== kek.kdf) {
    throw new PkiInputError(
      'KEY_DECRYPT_FAILED',
      kdf === 'scrypt'
        ? 'The stored key was sealed with a passphrase, but the configured key is 32 raw bytes: configure the passphrase it was made with.'
        : 'The stored key was sealed with a 32-byte key, but the configured key is a passphrase: configure the key it was made with.',
    );
  }
  const salt = Buffer.from(saltText, 'base64');
  if (kdf === 'scrypt' && salt.length !== SALT_BYTES) throw new PkiInputError('KEY_DECRYPT_FAILED', 'The stored key blob is malformed (salt length).');
  return open(kek.keyFor(salt), ivText, tagText, ctText, aad(parts.slice(0, 3).join(':'), label));
}

/** False for a blob in an older format: open it and write it again with {@link encryptPrivateKey}. */
export function isCurrentKeyBlob(blob: string): boolean {
  return typeof blob === 'string' && blob.startsWith(`${CURRENT}:`);
}

function open(key: Buffer, ivText: string, tagText: string, ctText: string, associated?: Buffer): ArrayBuffer {
  const iv = Buffer.from(ivText, 'base64');
  const tag = Buffer.from(tagText, 'base64');
  const ct = Buffer.from(ctText, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new PkiInputError('KEY_DECRYPT_FAILED', 'The stored key blob is malformed (IV or tag length).');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (associated) decipher.setAAD(associated);
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(ct), decipher.final()]);
    return plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength) as ArrayBuffer;
  } catch {
    throw new PkiInputError(
      'KEY_DECRYPT_FAILED',
      'The stored key could not be decrypted: wrong key-encryption key, a blob made for another issuer or purpose, or the blob was altered.',
    );
  }
}
