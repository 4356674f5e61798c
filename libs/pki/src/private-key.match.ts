import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';

/**
 * True when the PKCS#8 private key is the one whose public half `certificate` carries. Compared as
 * key objects, not as bytes, so two encodings of the same key (e.g. a compressed EC point) still
 * match. A key that does not parse does not match.
 */
export function privateKeyMatchesCertificate(pkcs8Der: ArrayBuffer, certificate: X509Certificate): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' }));
    const fromCertificate = createPublicKey({ key: Buffer.from(certificate.publicKey.rawData), format: 'der', type: 'spki' });
    return fromKey.equals(fromCertificate);
  } catch {
    return false;
  }
}
