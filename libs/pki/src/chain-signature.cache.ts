import type { X509Certificate } from '@peculiar/x509';
import { thumbprintSha256 } from './certificate.thumbprint';

/**
 * Signature checks are the slow part of chain validation and the same (child, issuer) pairs come
 * back at every re-validation, so results are kept in a module-level LRU keyed by both SHA-256
 * thumbprints. A result depends only on the two DERs, so it never goes stale.
 */
const MAX_ENTRIES = 10_000;
const cache = new Map<string, Promise<boolean>>();
const thumbprints = new WeakMap<X509Certificate, string>();

/** SHA-256 thumbprint, memoised per certificate object. */
export function certificateKey(cert: X509Certificate): string {
  let key = thumbprints.get(cert);
  if (key === undefined) {
    key = thumbprintSha256(cert);
    thumbprints.set(cert, key);
  }
  return key;
}

async function verify(child: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  try {
    return await child.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false; // an algorithm or key WebCrypto cannot use: the signature is not shown to be good
  }
}

/** `true` when `child`'s signature verifies with `issuer`'s public key. Cached; never rejects. */
export function isSignedBy(child: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  const key = `${certificateKey(child)}:${certificateKey(issuer)}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const result = verify(child, issuer);
  cache.set(key, result);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  return result;
}

/** Statistics for tests and metrics. */
export function signatureCacheSize(): number {
  return cache.size;
}

/** Empties the cache (tests). */
export function clearSignatureCache(): void {
  cache.clear();
}
