import type { KeyObject } from 'node:crypto';
import { importSpki } from './spki.import';
import { x509 } from './x509.setup';
import { PkiInputError, isPkiInputError } from './pki-input.error';
import { formatName } from './distinguished-name.format';
import { spkiFingerprint, type PublicKeyInfo } from './public-key.describe';
import { readCsr, type CsrStructure } from './csr.reader';
import { derToPem } from './certificate.parser';
import { signatureScheme, verifyWithScheme } from './path/signature.verifier';
import { comparableName } from './issuance/leaf.names';

/** A CSR that passed {@link checkCsr}: readable, its own key signed it, the key is strong, the host is named. */
export interface CheckedCsr {
  /** The request re-encoded as PEM ("CERTIFICATE REQUEST", "\n" line ends). */
  pem: string;
  /** RFC 4514 subject ("CN=host, O=Acme"): what the requester wrote; certflow's leaves do not carry it. */
  subject: string;
  /** The last CN, as clients read it. */
  commonName?: string;
  /** Every CN, in order. */
  commonNames: string[];
  dnsNames: string[];
  ipAddresses: string[];
  /** Every CN + DNS + IP, lower-cased, deduplicated, in that order: every name the CSR asks for. */
  names: string[];
  publicKey: { algorithm: 'RSA' | 'EC'; size?: number; curve?: string };
  /** {@link spkiFingerprint} of the request's public key. */
  spkiFingerprint: string;
  /** The request's DER. */
  der: Uint8Array;
  /** The request as the ASN.1 library reads it; parsed on first use (`pem` and `subject` too). */
  csr: x509.Pkcs10CertificateRequest;
}

/** Largest CSR text accepted (a 4096-bit RSA CSR with many SANs is a few KiB). */
export const MAX_CSR_BYTES = 64 * 1024;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
const SUPPORTED_CURVES = new Set(['P-256', 'P-384', 'P-521']);

const CSR_BLOCK = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (NEW )?CERTIFICATE REQUEST-----/g;

function decodePem(pem: string): ArrayBuffer {
  if (typeof pem !== 'string') throw new PkiInputError('CSR_NOT_PEM', 'The CSR must be PEM text.');
  if (pem.length > MAX_CSR_BYTES) {
    throw new PkiInputError('CSR_TOO_LARGE', `The CSR is ${pem.length} characters; at most ${MAX_CSR_BYTES} are accepted.`);
  }
  const blocks = [...pem.matchAll(CSR_BLOCK)];
  if (blocks.length === 0) {
    throw new PkiInputError('CSR_NOT_PEM', 'The CSR must be a PEM block between "-----BEGIN CERTIFICATE REQUEST-----" and "-----END CERTIFICATE REQUEST-----".');
  }
  if (blocks.length > 1) {
    throw new PkiInputError('CSR_UNPARSABLE', `The text holds ${blocks.length} certificate requests; send exactly one.`);
  }
  const body = blocks[0][2].replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
    throw new PkiInputError('CSR_UNPARSABLE', 'The CSR block is not valid base64.');
  }
  const der = Buffer.from(body, 'base64');
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

function parseCsr(der: ArrayBuffer): x509.Pkcs10CertificateRequest {
  try {
    const csr = new x509.Pkcs10CertificateRequest(der);
    if (Buffer.compare(Buffer.from(csr.rawData), Buffer.from(der)) !== 0) throw new Error('trailing data');
    void csr.subjectName.toJSON();
    void csr.publicKey.rawData;
    void csr.extensions;
    return csr;
  } catch {
    throw new PkiInputError('CSR_UNPARSABLE', 'The CSR is not a readable PKCS#10 certificate request (the DER inside the PEM block is damaged).');
  }
}


function checkKey(info: PublicKeyInfo): CheckedCsr['publicKey'] {
  if (info.algorithm === 'RSA') {
    const size = info.size ?? 0;
    if (size < MIN_RSA_BITS) throw new PkiInputError('CSR_KEY_TOO_WEAK', `The CSR's RSA key is ${size} bits; use at least ${MIN_RSA_BITS}.`);
    if (size > MAX_RSA_BITS) throw new PkiInputError('CSR_KEY_UNSUPPORTED', `The CSR's RSA key is ${size} bits; at most ${MAX_RSA_BITS} are supported.`);
    return { algorithm: 'RSA', size };
  }
  if (info.algorithm === 'EC') {
    const curve = info.curve ?? 'explicit parameters';
    if (SUPPORTED_CURVES.has(curve)) return { algorithm: 'EC', curve };
    const bits = Number(/(\d{3})/.exec(curve)?.[1] ?? NaN);
    if (bits < 256) throw new PkiInputError('CSR_KEY_TOO_WEAK', `The CSR's EC key is on ${curve} (${bits} bits); use P-256 or stronger.`);
    throw new PkiInputError('CSR_KEY_UNSUPPORTED', `The CSR's EC key is on ${curve}; use P-256, P-384 or P-521.`);
  }
  throw new PkiInputError('CSR_KEY_UNSUPPORTED', `The CSR's key is ${info.algorithm}; use RSA (2048 bits or more) or EC (P-256, P-384, P-521).`);
}

/**
 * Verifies with Node's crypto and the key already loaded for the strength check: WebCrypto's
 * `csr.verify()` imports the key again and costs about 8× as much. Algorithms the path engine does
 * not take (SHA-1, unusual parameters) still go to the library, so what is accepted is unchanged.
 */
async function checkSignature(csr: CsrStructure, key: KeyObject | null, library: () => x509.Pkcs10CertificateRequest): Promise<void> {
  let ok: boolean | undefined;
  try {
    const scheme = signatureScheme(csr.signatureAlgorithm);
    ok = key && typeof scheme !== 'string' ? verifyWithScheme(scheme, key, csr.signed, csr.signature) : await library().verify();
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new PkiInputError('CSR_SIGNATURE_INVALID', "The CSR's signature does not verify with the CSR's own public key (no proof of possession); generate the CSR again with its private key.");
  }
}


/**
 * Checks a CSR submitted for `host`, in this order: size, PEM, PKCS#10 structure, key type and
 * strength, signature (proof of possession), host among its names (every CN, DNS and IP SAN). Hosts match exactly (case-insensitive,
 * a trailing dot ignored, IPv6 in canonical form); a wildcard does not cover a host.
 *
 * @throws PkiInputError `CSR_TOO_LARGE`, `CSR_NOT_PEM`, `CSR_UNPARSABLE`, `CSR_KEY_UNSUPPORTED` (DSA,
 *   Ed25519, RSA-PSS keys, curves other than P-256/384/521), `CSR_KEY_TOO_WEAK` (RSA < 2048, curves
 *   under 256 bits), `CSR_SIGNATURE_INVALID`, `HOST_NOT_IN_CSR`. Never any other error type.
 */
export async function checkCsr(pem: string, host: string): Promise<CheckedCsr> {
  try {
    const der = new Uint8Array(decodePem(pem));
    const structure = readStructure(der);
    const imported = importSpki(structure.spki);
    const key = imported?.key ?? null;
    const publicKey = checkKey(imported?.info ?? { algorithm: 'unknown' });
    // Parsed by the ASN.1 library only when something needs it: an algorithm Node's crypto does not
    // take (then it verifies), or a caller that wants the object.
    let parsed: x509.Pkcs10CertificateRequest | undefined;
    const library = () => (parsed ??= parseCsr(der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer));
    await checkSignature(structure, key, library);

    const names = [...new Set([...structure.commonNames, ...structure.dnsNames, ...structure.ipAddresses].map((n) => n.toLowerCase()))];
    const wanted = typeof host === 'string' ? comparableName(host) : '';
    if (!wanted || !names.some((n) => comparableName(n) === wanted)) {
      throw new PkiInputError('HOST_NOT_IN_CSR', `The host "${String(host)}" is not among the CSR's names (${names.join(', ') || 'none'}); put it in the CN or a subjectAltName.`);
    }
    const checked = {
      der,
      commonNames: structure.commonNames,
      dnsNames: structure.dnsNames,
      ipAddresses: structure.ipAddresses,
      names,
      publicKey,
      spkiFingerprint: spkiFingerprint(structure.spki),
    } as CheckedCsr;
    Object.defineProperties(checked, {
      pem: { enumerable: true, get: () => derToPem(der, 'CERTIFICATE REQUEST') },
      subject: { enumerable: true, get: () => formatName(library().subjectName) },
      csr: { enumerable: true, get: library },
    });
    if (structure.commonName !== undefined) checked.commonName = structure.commonName;
    return checked;
  } catch (error) {
    if (isPkiInputError(error)) throw error;
    throw new PkiInputError('CSR_UNPARSABLE', 'The CSR could not be read.');
  }
}

function readStructure(der: Uint8Array): CsrStructure {
  try {
    return readCsr(der);
  } catch {
    throw new PkiInputError('CSR_UNPARSABLE', 'The CSR is not a readable PKCS#10 certificate request (the DER inside the PEM block is damaged).');
  }
}

