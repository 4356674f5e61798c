import {
  type CaMaterial,
  type Clock,
  createIntermediateCa,
  createRootCa,
  decryptPrivateKey,
  encryptPrivateKey,
  exportPkcs8,
  importPkcs8,
  isPkiInputError,
  parseCertificate,
  toPem,
} from '@certflow/pki';

/**
 * The internal CA as stored: certificates in PEM, private keys encrypted with CERTFLOW_CA_KEY
 * (AES-256-GCM blobs from libs/pki). One record per issuer name; written once, never updated.
 */
export interface InternalCaRecord {
  issuer: string;
  rootPem: string;
  /** Encrypted PKCS#8 of the root key. Only needed to sign a new intermediate. */
  rootKey: string;
  intermediatePem: string;
  /** Encrypted PKCS#8 of the issuing intermediate's key: it signs every leaf. */
  intermediateKey: string;
  createdAt: Date;
}

/** The CA ready to sign: the issuing intermediate with its key, and the root that anchors it. */
export interface OpenInternalCa {
  root: CaMaterial['certificate'];
  issuing: CaMaterial;
  rootPem: string;
  intermediatePem: string;
}

/**
 * Thrown at start when CERTFLOW_CA_KEY does not decrypt the CA keys already stored: signing with a
 * new CA would silently split the fleet's trust, so the gateway refuses to start instead.
 */
export class CaKeyMismatchError extends Error {
  readonly code = 'CaKeyMismatch';
  constructor(readonly issuer: string) {
    super(`CERTFLOW_CA_KEY does not decrypt the stored CA key; use the key the CA was created with (issuer "${issuer}")`);
    this.name = 'CaKeyMismatchError';
  }
}

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** CA certificates start an hour back, so leaves backdated by a few minutes still nest inside them. */
const CA_BACKDATE_MS = 60 * MINUTE_MS;
const ROOT_YEARS = 10;
const INTERMEDIATE_YEARS = 5;
/**
 * P-384 for the root: it lives ten years and signs once. P-256 for the issuing CA: it signs every
 * leaf and every validator verifies that signature, and on this stack P-256 signs in ~50 µs and
 * verifies in ~50 µs against ~740 µs and ~410 µs for P-384 (measured with Node 20's OpenSSL); its
 * 128-bit strength is what the leaves under it have anyway. Leaves may use any key checkCsr accepts.
 */
const ROOT_KEY_TYPE = 'ec-p384' as const;
const ISSUING_KEY_TYPE = 'ec-p256' as const;

function years(from: Date, count: number): Date {
  const d = new Date(from);
  d.setUTCFullYear(d.getUTCFullYear() + count);
  return d;
}

/** Escapes a value for a "CN=…" string (RFC 4514 special characters). */
function cn(value: string): string {
  return `CN=${value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`)}`;
}

/** The root's and issuing CA's subjects for a CA name, e.g. "certflow Internal Root CA". */
export function internalCaSubjects(name: string): { root: string; intermediate: string } {
  return { root: cn(`${name} Root CA`), intermediate: cn(`${name} Issuing CA 1`) };
}

/**
 * Creates a two-tier CA: a root (10 years) and one issuing intermediate under it (5 years, pathLength
 * 0: it can sign only leaves). Returns what to store (keys encrypted with `key`) and the opened CA.
 */
export async function createInternalCa(opts: {
  issuer: string;
  name: string;
  key: Buffer;
  clock: Clock;
}): Promise<{ record: InternalCaRecord; ca: OpenInternalCa }> {
  const now = opts.clock.now();
  const notBefore = new Date(now.getTime() - CA_BACKDATE_MS);
  const subjects = internalCaSubjects(opts.name);
  const root = await createRootCa({ subject: subjects.root, keyType: ROOT_KEY_TYPE, notBefore, notAfter: years(now, ROOT_YEARS) });
  const issuing = await createIntermediateCa({
    subject: subjects.intermediate,
    issuer: root,
    keyType: ISSUING_KEY_TYPE,
    notBefore,
    notAfter: years(now, INTERMEDIATE_YEARS),
    pathLength: 0,
  });
  const record: InternalCaRecord = {
    issuer: opts.issuer,
    rootPem: toPem(root.certificate),
    rootKey: encryptPrivateKey(await exportPkcs8(root.privateKey), opts.key),
    intermediatePem: toPem(issuing.certificate),
    intermediateKey: encryptPrivateKey(await exportPkcs8(issuing.privateKey), opts.key),
    createdAt: now,
  };
  return {
    record,
    ca: { root: root.certificate, issuing: { certificate: issuing.certificate, privateKey: issuing.privateKey }, rootPem: record.rootPem, intermediatePem: record.intermediatePem },
  };
}

function decrypt(blob: string, key: Buffer, issuer: string): ArrayBuffer {
  try {
    return decryptPrivateKey(blob, key);
  } catch (error) {
    if (isPkiInputError(error) && error.code === 'KEY_DECRYPT_FAILED') throw new CaKeyMismatchError(issuer);
    throw error;
  }
}

/**
 * Opens a stored CA with `key`. Both keys are decrypted, so a wrong key is found at start rather
 * than the day the root is needed.
 * @throws CaKeyMismatchError when `key` is not the key the CA was created with.
 */
export async function openInternalCa(record: InternalCaRecord, key: Buffer): Promise<OpenInternalCa> {
  decrypt(record.rootKey, key, record.issuer);
  const issuingKey = await importPkcs8(decrypt(record.intermediateKey, key, record.issuer), 'auto');
  return {
    root: parseCertificate(record.rootPem),
    issuing: { certificate: parseCertificate(record.intermediatePem), privateKey: issuingKey },
    rootPem: record.rootPem,
    intermediatePem: record.intermediatePem,
  };
}

/** Leaves start 5 minutes back: clocks of the hosts that check them are never exactly right. */
export const LEAF_BACKDATE_MS = 5 * MINUTE_MS;

/**
 * The validity of a leaf issued at `now`: from 5 minutes back for `days`, but never past the
 * issuing CA's own end (a certificate outliving its issuer does not validate).
 */
export function leafValidity(now: Date, days: number, issuerNotAfter: Date): { notBefore: Date; notAfter: Date } {
  const notAfter = new Date(Math.min(now.getTime() + days * DAY_MS, issuerNotAfter.getTime()));
  return { notBefore: new Date(now.getTime() - LEAF_BACKDATE_MS), notAfter };
}
