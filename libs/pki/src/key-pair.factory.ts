import { createPrivateKey } from 'node:crypto';
import { PkiInputError } from './pki-input.error';

/** Key types this lib generates and signs with. */
export type KeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

const RSA_HASH = 'SHA-256';

function keyAlgorithm(type: KeyType): RsaHashedKeyGenParams | EcKeyGenParams {
  switch (type) {
    case 'ec-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ec-p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'rsa-2048':
    case 'rsa-3072':
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: type === 'rsa-2048' ? 2048 : 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: RSA_HASH };
    default: {
      const unknown: never = type;
      throw new PkiInputError('KEY_TYPE_UNSUPPORTED', `Key type "${String(unknown)}" is not one of ec-p256, ec-p384, rsa-2048, rsa-3072.`);
    }
  }
}

/** A new extractable signing key pair (ECDSA, or RSASSA-PKCS1-v1_5 with SHA-256). */
export async function generateKeyPair(type: KeyType): Promise<CryptoKeyPair> {
  return (await subtle().generateKey(keyAlgorithm(type), true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 DER of an extractable private key. */
export async function exportPkcs8(key: CryptoKey): Promise<ArrayBuffer> {
  return subtle().exportKey('pkcs8', key);
}

function detectKeyType(der: ArrayBuffer): KeyType {
  let key;
  try {
    key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch {
    throw new PkiInputError('KEY_UNPARSABLE', 'The private key is not PKCS#8 DER.');
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return 'ec-p256';
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1') return 'ec-p384';
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) return (details.modulusLength ?? 0) >= 3072 ? 'rsa-3072' : 'rsa-2048';
  throw new PkiInputError('KEY_TYPE_UNSUPPORTED', `A ${key.asymmetricKeyType} key (${JSON.stringify(details)}) cannot sign here; use EC P-256/P-384 or RSA ≥ 2048.`);
}

/**
 * Imports a PKCS#8 private key for signing. `'auto'` reads the type from the key itself. The key is
 * non-extractable unless `opts.extractable` (keep the DER if you need it again).
 */
export async function importPkcs8(der: ArrayBuffer, type: KeyType | 'auto', opts: { extractable?: boolean } = {}): Promise<CryptoKey> {
  const resolved = type === 'auto' ? detectKeyType(der) : type;
  const { name, namedCurve, hash } = keyAlgorithm(resolved) as { name: string; namedCurve?: string; hash?: string };
  const algorithm = namedCurve ? { name, namedCurve } : { name, hash };
  try {
    return await subtle().importKey('pkcs8', der, algorithm, opts.extractable ?? false, ['sign']);
  } catch {
    throw new PkiInputError('KEY_UNPARSABLE', `The private key could not be imported as ${resolved}.`);
  }
}

/**
 * The signature algorithm to use with a signing key: ECDSA with the hash matching the curve
 * (P-256 → SHA-256, P-384 → SHA-384, P-521 → SHA-512), RSA with the key's own hash (SHA-256).
 */
export function signingAlgorithmFor(key: CryptoKey): Algorithm | EcdsaParams {
  const alg = key.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  if (alg.name === 'ECDSA') {
    const hash = alg.namedCurve === 'P-384' ? 'SHA-384' : alg.namedCurve === 'P-521' ? 'SHA-512' : 'SHA-256';
    return { name: 'ECDSA', hash } as EcdsaParams;
  }
  return { name: alg.name, hash: alg.hash ?? RSA_HASH } as Algorithm;
}
