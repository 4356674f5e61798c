import { createHash, randomBytes } from 'node:crypto';

/** Recognisable prefix, so secret scanners and people can tell a certflow token when they see one. */
export const TOKEN_PREFIX = 'cft_';

/** A new token secret: 32 random bytes (256 bits), base64url, with the prefix. Shown once, never stored. */
export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * What is stored of a secret: its SHA-256. A slow password hash (bcrypt, scrypt) protects
 * low-entropy secrets people choose; these are 256 random bits, which no dictionary or brute force
 * reaches, so a fast hash is as safe here — and it lets each API call find its token by an index
 * lookup on the digest instead of trying a slow hash against every row.
 */
export function tokenDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
