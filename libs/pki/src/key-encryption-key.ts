import { scryptSync } from 'node:crypto';
import { inspect } from 'node:util';
import { PkiInputError } from './pki-input.error';

/** scrypt cost: N=2^15, r=8, p=1 (about 32 MiB and 50–100 ms per derivation). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** The fixed salt blobs of format v1 were derived with; read-only now (v2 salts every blob). */
const V1_APP_SALT = 'certflow/pki/private-key-at-rest/v1';
/** Derived keys kept per salt, so opening the same blob again does not pay scrypt again. */
const MAX_CACHED = 64;

/**
 * The key-encryption key of private keys at rest (CERTFLOW_CA_KEY): either 32 bytes used as they
 * are (64 hex digits or base64 of 32 bytes) or a passphrase that each blob stretches with scrypt
 * and a salt of its own. Never printed: `inspect`, `toString` and `toJSON` show only the kind.
 */
export class KeyEncryptionKey {
  private readonly derived = new Map<string, Buffer>();
  private legacy?: Buffer;

  private constructor(
    private readonly raw: Buffer | null,
    private readonly passphrase: string | null,
  ) {}

  /** Reads a configured secret: 64 hex digits or base64 of 32 bytes is the key; anything else a passphrase. */
  static fromSecret(secret: string): KeyEncryptionKey {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new PkiInputError('ENCRYPTION_KEY_INVALID', 'The key-encryption secret is empty; set 64 hex digits, 32 bytes of base64, or a long passphrase.');
    }
    const trimmed = secret.trim();
    if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return new KeyEncryptionKey(Buffer.from(trimmed, 'hex'), null);
    if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) {
      const raw = Buffer.from(trimmed, 'base64');
      if (raw.length === 32) return new KeyEncryptionKey(raw, null);
    }
    return new KeyEncryptionKey(null, secret);
  }

  /** A 32-byte key used as it is. */
  static fromKey(key: Buffer): KeyEncryptionKey {
    if (!Buffer.isBuffer(key) || key.length !== 32) {
      throw new PkiInputError('ENCRYPTION_KEY_INVALID', 'The key-encryption key must be 32 bytes (64 hex digits).');
    }
    return new KeyEncryptionKey(Buffer.from(key), null);
  }

  /** `raw` for a key used directly, `scrypt` for a passphrase. */
  get kdf(): 'raw' | 'scrypt' {
    return this.raw ? 'raw' : 'scrypt';
  }

  /** The AES key for a blob salted with `salt` (ignored for a raw key). */
  keyFor(salt: Buffer): Buffer {
    if (this.raw) return this.raw;
    const id = salt.toString('base64');
    let key = this.derived.get(id);
    if (!key) {
      key = scryptSync(this.passphrase!, salt, 32, SCRYPT);
      if (this.derived.size >= MAX_CACHED) this.derived.delete(this.derived.keys().next().value!);
      this.derived.set(id, key);
    }
    return key;
  }

  /** The AES key format v1 used: the raw key, or scrypt with the fixed application salt. */
  legacyKey(): Buffer {
    if (this.raw) return this.raw;
    this.legacy ??= scryptSync(this.passphrase!, V1_APP_SALT, 32, SCRYPT);
    return this.legacy;
  }

  /** True when both are the same secret (tests and config comparisons). */
  equals(other: KeyEncryptionKey): boolean {
    return this.kdf === other.kdf && (this.raw ? this.raw.equals(other.raw!) : this.passphrase === other.passphrase);
  }

  toString(): string {
    return `[KeyEncryptionKey ${this.kdf}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The 32-byte key format v1 derived from a configured secret (a passphrase with the fixed salt).
 * Kept for reading old blobs and for callers that need a plain key; new blobs salt each derivation.
 */
export function deriveKeyFromSecret(secret: string): Buffer {
  return KeyEncryptionKey.fromSecret(secret).legacyKey();
}
