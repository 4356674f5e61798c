import { createHash } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { decodeCertificate } from './path/certificate.facts';
import { parseCertificate, singleCertificateDer } from './certificate.parser';
import { PkiInputError } from './pki-input.error';

function der(cert: X509Certificate | ArrayBuffer | ArrayBufferView): Buffer {
  // Duck-typed: `instanceof ArrayBuffer` fails across realms (jest, worker threads).
  if (ArrayBuffer.isView(cert)) return Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength);
  const raw = (cert as X509Certificate).rawData;
  return Buffer.from(raw !== undefined ? raw : (cert as ArrayBuffer));
}

/** SHA-1 of the certificate's DER, upper-case hex: the "Thumbprint" Windows shows (no spaces). */
export function thumbprintSha1(cert: X509Certificate | ArrayBuffer | ArrayBufferView): string {
  return createHash('sha1').update(der(cert)).digest('hex').toUpperCase();
}

/** SHA-256 of the certificate's DER, upper-case hex. */
export function thumbprintSha256(cert: X509Certificate | ArrayBuffer | ArrayBufferView): string {
  return createHash('sha256').update(der(cert)).digest('hex').toUpperCase();
}

/**
 * Reads a thumbprint as people paste it: any case, with spaces or colons ("AB:CD…", "ab cd …"), and
 * the invisible marks the Windows certificate dialog copies along. 40 hex digits are SHA-1, 64 are
 * SHA-256; anything else gives `null`. `value` is upper-case hex.
 */
export function normalizeThumbprint(input: string): { kind: 'sha1' | 'sha256'; value: string } | null {
  if (typeof input !== 'string' || input.length > 256) return null;
  const value = input.replace(/[\s:\u200e\u200f\u202a-\u202e\ufeff-]/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(value)) return null;
  if (value.length === 40) return { kind: 'sha1', value };
  if (value.length === 64) return { kind: 'sha256', value };
  return null;
}

/**
 * SHA-1 and SHA-256 thumbprints of the one certificate in `pem`, without building an X509Certificate
 * when the text is exactly one PEM block: the DER is checked by the path engine's decoder (a fraction
 * of the cost), which is enough to know it is a certificate before naming it. Anything else (text
 * around the block, several blocks) goes through {@link parseCertificate}, which says what is wrong.
 *
 * @throws PkiInputError when the text is not exactly one readable certificate.
 */
export function pemThumbprints(pem: string): { sha1: string; sha256: string } {
  const der = singleCertificateDer(pem);
  if (!der) {
    const cert = parseCertificate(pem);
    return { sha1: thumbprintSha1(cert), sha256: thumbprintSha256(cert) };
  }
  try {
    decodeCertificate(der);
  } catch {
    throw new PkiInputError('CERTIFICATE_UNPARSABLE', 'The text is not a readable X.509 certificate.');
  }
  return { sha1: thumbprintSha1(der), sha256: thumbprintSha256(der) };
}
