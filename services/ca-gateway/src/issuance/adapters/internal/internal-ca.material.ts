import {
  type CaMaterial,
  type Clock,
  createIntermediateCa,
  createRootCa,
  decryptPrivateKey,
  encryptPrivateKey,
  exportPkcs8,
  importPkcs8,
  isCurrentKeyBlob,
  isPkiInputError,
  type KeyEncryptionSecret,
  parseCertificate,
  privateKeyMatchesCertificate,
  toPem,
} from '@certflow/pki';

/**
 * The internal CA as stored: certificates in PEM, private keys encrypted with CERTFLOW_CA_KEY
 * (AES-256-GCM blobs from libs/pki, bound to {@link caKeyLabel}). One record per issuer name; its
 * certificates never change, its key blobs only move to the current blob format (same keys).
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
  /** Set when a stored key blob was in an older format: the same keys in the current one, to store. */
  upgradedKeys?: InternalCaKeys;
}

/** The two encrypted keys of a record. */
export type InternalCaKeys = Pick<InternalCaRecord, 'rootKey' | 'intermediateKey'>;

/** Which of the CA's keys a blob holds. */
export type InternalCaKeyPurpose = 'root-key' | 'signing-key';

/**
 * What a key blob is, bound into it as associated data, e.g. `certflow/internal-ca/internal/signing-key`:
 * a blob copied into another issuer's row, or into the other key's column, does not open.
 */
export function caKeyLabel(issuer: string, purpose: InternalCaKeyPurpose): string {
  return `certflow/internal-ca/${issuer}/${purpose}`;
}

/**
 * Thrown at start when CERTFLOW_CA_KEY does not decrypt the CA keys already stored: signing with a
 * new CA would silently split the fleet's trust, so the gateway refuses to start instead.
 */
export class CaKeyMismatchError extends Error {
  readonly code = 'CaKeyMismatch';
  constructor(readonly issuer: string) {
    super(
      `CERTFLOW_CA_KEY does not decrypt the stored CA key; use the key the CA was created with (issuer "${issuer}"), ` +
        `or restore the issuer's ca_material row if its key was copied from another issuer`,
    );
    this.name = 'CaKeyMismatchError';
  }
}

/**
 * Thrown at start when a stored CA key decrypts but is not the key of the stored certificate (the
 * row was edited or restored in halves): signing with it would give leaves no chain validates.
 */
export class CaKeyCertificateMismatchError extends Error {
  readonly code = 'CaKeyCertificateMismatch';
  constructor(
    readonly issuer: string,
    readonly purpose: InternalCaKeyPurpose,
  ) {
    super(
      `the stored ${purpose === 'root-key' ? 'root' : 'issuing'} key of issuer "${issuer}" does not match its certificate; ` +
        `restore the issuer's ca_material row (certificate and key together) from a backup`,
    );
    this.name = 'CaKeyCertificateMismatchError';
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
  key: KeyEncryptionSecret;
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
    rootKey: encryptPrivateKey(await exportPkcs8(root.privateKey), opts.key, caKeyLabel(opts.issuer, 'root-key')),
    intermediatePem: toPem(issuing.certificate),
    intermediateKey: encryptPrivateKey(await exportPkcs8(issuing.privateKey), opts.key, caKeyLabel(opts.issuer, 'signing-key')),
    createdAt: now,
  };
  return {
    record,
    ca: { root: root.certificate, issuing: { certificate: issuing.certificate, privateKey: issuing.privateKey }, rootPem: record.rootPem, intermediatePem: record.intermediatePem },
  };
}

/** Decrypts one key and checks it is the key of `certificatePem`. */
function openKey(blob: string, key: KeyEncryptionSecret, issuer: string, purpose: InternalCaKeyPurpose, certificatePem: string): ArrayBuffer {
  let der: ArrayBuffer;
  try {
    der = decryptPrivateKey(blob, key, caKeyLabel(issuer, purpose));
  } catch (error) {
    if (isPkiInputError(error) && error.code === 'KEY_DECRYPT_FAILED') throw new CaKeyMismatchError(issuer);
    throw error;
  }
  if (!privateKeyMatchesCertificate(der, parseCertificate(certificatePem))) throw new CaKeyCertificateMismatchError(issuer, purpose);
  return der;
}

/**
 * Opens a stored CA with `key`. Both keys are decrypted and checked against their certificates, so
 * a wrong key or a tampered row is found at start rather than the day the root is needed. Blobs in
 * an older format come back re-encrypted in `upgradedKeys`, for the caller to store.
 * @throws CaKeyMismatchError when `key` does not open the keys (wrong key, or blobs of another issuer).
 * @throws CaKeyCertificateMismatchError when a key is not its certificate's.
 */
export async function openInternalCa(record: InternalCaRecord, key: KeyEncryptionSecret): Promise<OpenInternalCa> {
  const rootDer = openKey(record.rootKey, key, record.issuer, 'root-key', record.rootPem);
  const issuingDer = openKey(record.intermediateKey, key, record.issuer, 'signing-key', record.intermediatePem);
  const issuingKey = await importPkcs8(issuingDer, 'auto');
  const current = isCurrentKeyBlob(record.rootKey) && isCurrentKeyBlob(record.intermediateKey);
  return {
    root: parseCertificate(record.rootPem),
    issuing: { certificate: parseCertificate(record.intermediatePem), privateKey: issuingKey },
    rootPem: record.rootPem,
    intermediatePem: record.intermediatePem,
    ...(current
      ? {}
      : {
          upgradedKeys: {
            rootKey: encryptPrivateKey(rootDer, key, caKeyLabel(record.issuer, 'root-key')),
            intermediateKey: encryptPrivateKey(issuingDer, key, caKeyLabel(record.issuer, 'signing-key')),
          },
        }),
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
