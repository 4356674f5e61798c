import { clearSignatureResults, signatureVerificationsPerformed } from './path/signature.verifier';

/**
 * Signature results are cached by the path engine (`path/signature.verifier.ts`) per (certificate
 * DER hash, issuer SPKI hash), with node:crypto's synchronous verify. These wrappers keep the
 * names this lib exported before the engine moved there.
 */

/** Empties the signature and key caches (tests). */
export function clearSignatureCache(): void {
  clearSignatureResults();
}

/** Signatures actually verified (not served from the cache) since start or the last clear. */
export function signatureChecksPerformed(): number {
  return signatureVerificationsPerformed();
}
