import { type CaMaterial, x509 } from '@certflow/pki';
import { REVOCATION_REASON_CODES, type RevocationReason } from '@certflow/contracts';

/** One revoked certificate as the CRL lists it. */
export interface CrlEntry {
  serial: string;
  reason: RevocationReason;
  revokedAt: Date;
}

export interface SignedCrl {
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  der: Buffer;
}

const OID_CRL_NUMBER = '2.5.29.20';

/** DER INTEGER of a non-negative bigint (the CRL number: up to 20 octets, RFC 5280 §5.2.3). */
function integerDer(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/**
 * A v2 CRL signed by the issuing CA's own key (no indirect CRL): CRL number, authority key
 * identifier, thisUpdate / nextUpdate, and per entry its revocation date and reason code (the
 * reason extension is left out for `unspecified`, as RFC 5280 §5.3.1 asks).
 */
export async function signCrl(opts: {
  ca: CaMaterial;
  crlNumber: bigint;
  thisUpdate: Date;
  validityMs: number;
  entries: readonly CrlEntry[];
}): Promise<SignedCrl> {
  const { ca, crlNumber, thisUpdate } = opts;
  const nextUpdate = new Date(thisUpdate.getTime() + opts.validityMs);
  const ski = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const aki = ski?.keyId ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey);
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    signingKey: ca.privateKey,
    signingAlgorithm: signingAlgorithmOf(ca.privateKey),
    extensions: [aki, new x509.Extension(OID_CRL_NUMBER, false, new Uint8Array(integerDer(crlNumber)))],
    entries: opts.entries.map((e) => ({
      serialNumber: e.serial,
      revocationDate: e.revokedAt,
      ...(e.reason === 'unspecified' ? {} : { reason: REVOCATION_REASON_CODES[e.reason] as x509.X509CrlReason }),
    })),
  });
  return { crlNumber, thisUpdate, nextUpdate, der: Buffer.from(crl.rawData) };
}

const ECDSA_HASH: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };

/** The signature algorithm for a CA key: ECDSA with the curve's hash, RSA PKCS#1 v1.5 SHA-256. */
export function signingAlgorithmOf(key: CryptoKey): EcdsaParams | Algorithm {
  if (key.algorithm.name === 'ECDSA') return { name: 'ECDSA', hash: ECDSA_HASH[(key.algorithm as EcKeyAlgorithm).namedCurve] ?? 'SHA-256' };
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
}
