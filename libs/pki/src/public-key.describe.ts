import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** What a public key is, as shown to operators: `{algorithm:'RSA', size:2048}`, `{algorithm:'EC', curve:'P-256'}`. */
export interface PublicKeyInfo {
  /** 'RSA', 'EC', 'RSA-PSS', 'Ed25519', 'Ed448', 'DSA', ... or the key type OpenSSL reports. */
  algorithm: string;
  /** Modulus length in bits (RSA, DSA). */
  size?: number;
  /** 'P-256', 'P-384', 'P-521', or OpenSSL's name of any other curve ('prime192v1', 'brainpoolP256r1'). */
  curve?: string;
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

const ALGORITHMS: Record<string, string> = {
  rsa: 'RSA',
  'rsa-pss': 'RSA-PSS',
  ec: 'EC',
  dsa: 'DSA',
  ed25519: 'Ed25519',
  ed448: 'Ed448',
  x25519: 'X25519',
  x448: 'X448',
  dh: 'DH',
};

/**
 * Describes a SubjectPublicKeyInfo (DER). Never throws: a key OpenSSL cannot read is `{algorithm:'unknown'}`.
 */
export function describeSpki(spkiDer: ArrayBuffer | Uint8Array): PublicKeyInfo {
  try {
    return describeKey(createPublicKey({ key: Buffer.from(spkiDer as ArrayBuffer), format: 'der', type: 'spki' }));
  } catch {
    return { algorithm: 'unknown' };
  }
}

/** Describes a key already loaded (loading an SPKI is the expensive part; callers that verify with it reuse it). */
export function describeKey(key: KeyObject): PublicKeyInfo {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const info: PublicKeyInfo = { algorithm: ALGORITHMS[type] ?? type };
  if (details.modulusLength !== undefined) info.size = details.modulusLength;
  if (details.namedCurve !== undefined) info.curve = CURVES[details.namedCurve] ?? details.namedCurve;
  return info;
}

/**
 * SHA-256 of a SubjectPublicKeyInfo's DER, upper-case hex. Equal for a CSR and the certificate issued
 * from it, so it tells whether a returned certificate carries the requested key.
 */
export function spkiFingerprint(spkiDer: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(spkiDer instanceof Uint8Array ? spkiDer : new Uint8Array(spkiDer)).digest('hex').toUpperCase();
}
