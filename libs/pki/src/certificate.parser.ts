import { BoundedCache } from './bounded-cache';
import { x509 } from './x509.setup';
import { PkiInputError } from './pki-input.error';
import { decodeCertificate } from './path/certificate.facts';

/** Default cap on how many certificates one text may carry. */
export const DEFAULT_CERTIFICATE_LIMIT = 50;
/** Bytes of text accepted per certificate allowed (the whole text is capped at limit × this). */
const BYTES_PER_CERTIFICATE = 64 * 1024;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,40})-----([\s\S]*?)-----END \1-----/g;
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);
const PKCS7_LABELS = new Set(['PKCS7', 'CMS']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(body: string, what: string): Buffer {
  const compact = body.replace(/\s+/g, '');
  if (compact.length === 0 || !BASE64.test(compact)) {
    throw new PkiInputError('CERTIFICATE_UNPARSABLE', `The ${what} is not valid base64 between its BEGIN and END lines.`);
  }
  return Buffer.from(compact, 'base64');
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function readCertificate(der: Buffer, position: number): x509.X509Certificate {
  try {
    // What is accepted here must be readable by the path engine: @peculiar/x509 alone takes bytes
    // after the certificate (kept in rawData, so in the thumbprint and the stored PEM) and times
    // that are not digits, leaving a stored certificate no path can use.
    decodeCertificate(der);
    const cert = new x509.X509Certificate(toArrayBuffer(der));
    // Touch the lazily decoded parts so a broken certificate fails here, not later.
    void cert.subjectName.toJSON();
    void cert.issuerName.toJSON();
    void cert.notBefore.getTime();
    void cert.notAfter.getTime();
    void cert.publicKey.rawData;
    void cert.extensions;
    return cert;
  } catch {
    throw new PkiInputError('CERTIFICATE_UNPARSABLE', `Certificate #${position} is not a readable X.509 certificate (DER inside the PEM block is damaged or is something else).`);
  }
}

function readPkcs7(der: Buffer): x509.X509Certificate[] {
  let bundle: x509.X509Certificates;
  try {
    bundle = new x509.X509Certificates(toArrayBuffer(der));
  } catch {
    throw new PkiInputError('CERTIFICATE_UNPARSABLE', 'The PKCS#7 bundle could not be read; export it again as PEM certificates or a .p7b file.');
  }
  return bundle.map((c, i) => readCertificate(Buffer.from(c.rawData), i + 1));
}

function checkLimit(count: number, limit: number): void {
  if (count > limit) {
    throw new PkiInputError('TOO_MANY_CERTIFICATES', `The text holds ${count} certificates; at most ${limit} are accepted at once. Split it.`);
  }
}

/**
 * Reads one or more certificates: PEM `CERTIFICATE` blocks (any whitespace, CRLF, text around them),
 * a PEM `PKCS7` bundle, or a bare base64 DER certificate or .p7b. Order is kept; nothing is deduplicated.
 *
 * @throws PkiInputError `CERTIFICATE_NOT_PEM` (no certificate found), `CERTIFICATE_UNPARSABLE`,
 *   `TOO_MANY_CERTIFICATES` (more than `limit`).
 */
export function parseCertificates(text: string, limit = DEFAULT_CERTIFICATE_LIMIT): x509.X509Certificate[] {
  if (typeof text !== 'string' || text.trim().length === 0) {
    throw new PkiInputError('CERTIFICATE_NOT_PEM', 'Expected PEM text with "-----BEGIN CERTIFICATE-----" blocks; got nothing.');
  }
  if (text.length > limit * BYTES_PER_CERTIFICATE) {
    throw new PkiInputError('TOO_MANY_CERTIFICATES', `The text is ${text.length} characters long; at most ${limit * BYTES_PER_CERTIFICATE} are accepted. Send fewer certificates.`);
  }
  // Bound the regex work on hostile text: a few non-certificate blocks (a key, a request) are tolerated.
  const begins = text.split('-----BEGIN ').length - 1;
  checkLimit(begins > limit + 10 ? begins : 0, limit);
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], body: m[2] }));
  if (blocks.length === 0) return parseBareBase64(text, limit);

  const certBlocks = blocks.filter((b) => CERTIFICATE_LABELS.has(b.label));
  const pkcs7Blocks = blocks.filter((b) => PKCS7_LABELS.has(b.label));
  if (certBlocks.length === 0 && pkcs7Blocks.length === 0) {
    const labels = [...new Set(blocks.map((b) => b.label))].join('", "');
    throw new PkiInputError('CERTIFICATE_NOT_PEM', `Found PEM block(s) "${labels}" but no "CERTIFICATE"; send the certificate, not a request or a key.`);
  }
  checkLimit(certBlocks.length, limit);
  const out: x509.X509Certificate[] = [];
  for (const block of blocks) {
    if (CERTIFICATE_LABELS.has(block.label)) {
      out.push(readCertificate(decodeBase64(block.body, 'certificate'), out.length + 1));
    } else if (PKCS7_LABELS.has(block.label)) {
      out.push(...readPkcs7(decodeBase64(block.body, 'PKCS#7 bundle')));
    }
    checkLimit(out.length, limit);
  }
  if (out.length === 0) throw new PkiInputError('CERTIFICATE_NOT_PEM', 'The PKCS#7 bundle holds no certificate.');
  return out;
}

function parseBareBase64(text: string, limit: number): x509.X509Certificate[] {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    throw new PkiInputError('CERTIFICATE_NOT_PEM', 'Expected PEM text with "-----BEGIN CERTIFICATE-----" blocks (or base64 DER); this is neither.');
  }
  const der = Buffer.from(compact, 'base64');
  try {
    return [readCertificate(der, 1)];
  } catch {
    try {
      const certs = readPkcs7(der);
      checkLimit(certs.length, limit);
      if (certs.length > 0) return certs;
    } catch (error) {
      if (error instanceof PkiInputError && error.code === 'TOO_MANY_CERTIFICATES') throw error;
    }
  }
  throw new PkiInputError('CERTIFICATE_NOT_PEM', 'Expected PEM text with "-----BEGIN CERTIFICATE-----" blocks; the base64 given is neither a certificate nor a PKCS#7 bundle.');
}

/**
 * Reads exactly one certificate.
 * @throws PkiInputError as {@link parseCertificates}; `TOO_MANY_CERTIFICATES` when there are several.
 */
export function parseCertificate(pem: string): x509.X509Certificate {
  return parsed.getOrSet(pem, () => parseCertificates(pem, 1)[0]);
}

/**
 * Certificates read, by PEM text. Every request's chain repeats the same CA certificates, and each
 * service reads them again for every request: decoding is the most expensive step of most handlers.
 * X509Certificate is immutable, so sharing one instance is safe. Failures are not kept.
 */
const parsed = new BoundedCache<string, x509.X509Certificate>(500);

/** PEM text of a certificate, "\n" line ends, ending with a newline. */
export function toPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').replace(/\r\n/g, '\n').trimEnd()}\n`;
}

/** PEM text of DER bytes, in {@link toPem}'s layout (64-character lines, "\n", final newline). */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const body = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

const SINGLE_CERTIFICATE = /^\s*-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----\s*$/;

/**
 * The DER of PEM text that is exactly one CERTIFICATE block, without reading it; `null` for anything
 * else (then {@link parseCertificates} says what is wrong). For fast paths that check the DER themselves.
 */
export function singleCertificateDer(pem: string): Buffer | null {
  const match = typeof pem === 'string' ? SINGLE_CERTIFICATE.exec(pem) : null;
  return match ? Buffer.from(match[1].replace(/\s+/g, ''), 'base64') : null;
}
