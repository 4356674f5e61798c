import { createPublicKey, type KeyObject } from 'node:crypto';
import { TAG, children, readOid, readWhole } from './path/der.reader';
import { describeKey, type PublicKeyInfo } from './public-key.describe';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** Named curve OID → JWK `crv` and the byte length of one coordinate. */
const EC_CURVES: Record<string, { crv: 'P-256' | 'P-384' | 'P-521'; size: number }> = {
  '1.2.840.10045.3.1.7': { crv: 'P-256', size: 32 },
  '1.3.132.0.34': { crv: 'P-384', size: 48 },
  '1.3.132.0.35': { crv: 'P-521', size: 66 },
};

/** A public key ready to verify with, and what it is. */
export interface ImportedKey {
  key: KeyObject;
  info: PublicKeyInfo;
}

/**
 * Loads a SubjectPublicKeyInfo (DER) into a KeyObject and describes it. EC keys on the three NIST
 * curves with an uncompressed point, and RSA keys, are built from their JWK parts: OpenSSL 3's DER
 * decoder costs twice as much for EC (and ten times for RSA), and asking the key for its details
 * once more. OpenSSL still checks the key (an EC point off its curve is refused). Anything else
 * goes through the DER decoder. `null` when OpenSSL cannot load the key.
 */
export function importSpki(spki: Uint8Array): ImportedKey | null {
  try {
    return fromParts(spki) ?? fromDer(spki);
  } catch {
    return null;
  }
}

function fromDer(spki: Uint8Array): ImportedKey {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return { key, info: describeKey(key) };
}

function fromParts(spki: Uint8Array): ImportedKey | null {
  let parts: { alg: string; param?: string; key: Uint8Array } | null;
  try {
    parts = algorithmAndKey(spki);
  } catch {
    return null;
  }
  if (!parts) return null;
  if (parts.alg === EC_PUBLIC_KEY && parts.param) {
    const curve = EC_CURVES[parts.param];
    const point = parts.key;
    if (!curve || point.length !== 1 + 2 * curve.size || point[0] !== 0x04) return null;
    const b64 = (from: number) => Buffer.from(point.subarray(from, from + curve.size)).toString('base64url');
    const key = createPublicKey({ key: { kty: 'EC', crv: curve.crv, x: b64(1), y: b64(1 + curve.size) }, format: 'jwk' });
    return { key, info: { algorithm: 'EC', curve: curve.crv } };
  }
  if (parts.alg === RSA_ENCRYPTION) {
    const rsa = rsaPublicKey(parts.key);
    if (!rsa) return null;
    const key = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(rsa.n).toString('base64url'), e: Buffer.from(rsa.e).toString('base64url') }, format: 'jwk' });
    return { key, info: { algorithm: 'RSA', size: modulusBits(rsa.n) } };
  }
  return null;
}

/** Modulus size in bits of an RSA SPKI, or `null` when it cannot be read. */
export function rsaModulusBits(spki: Uint8Array): number | null {
  try {
    const parts = algorithmAndKey(spki);
    const rsa = parts?.alg === RSA_ENCRYPTION ? rsaPublicKey(parts.key) : null;
    return rsa ? modulusBits(rsa.n) : null;
  } catch {
    return null;
  }
}

const modulusBits = (n: Uint8Array): number => (n.length - 1) * 8 + (32 - Math.clz32(n[0]));

/** The algorithm OID, its OID parameter if it has one, and the key bits (whole bytes). */
function algorithmAndKey(spki: Uint8Array): { alg: string; param?: string; key: Uint8Array } | null {
  const whole = readWhole(spki);
  const [alg, bits, extra] = children(spki, whole);
  if (!alg || !bits || extra || alg.tag !== TAG.SEQUENCE || bits.tag !== TAG.BIT_STRING || spki[bits.valueStart] !== 0) return null;
  const [oid, param] = children(spki, alg);
  if (!oid || oid.tag !== TAG.OID) return null;
  return {
    alg: readOid(spki, oid),
    param: param?.tag === TAG.OID ? readOid(spki, param) : undefined,
    key: spki.subarray(bits.valueStart + 1, bits.end),
  };
}

/** RSAPublicKey { modulus, publicExponent } as unsigned big-endian bytes, leading zeros stripped. */
function rsaPublicKey(inner: Uint8Array): { n: Uint8Array; e: Uint8Array } | null {
  const [n, e, extra] = children(inner, readWhole(inner));
  if (!n || !e || extra || n.tag !== TAG.INTEGER || e.tag !== TAG.INTEGER) return null;
  const strip = (t: typeof n): Uint8Array => {
    let start = t.valueStart;
    while (start < t.end - 1 && inner[start] === 0) start++;
    return inner.subarray(start, t.end);
  };
  const modulus = strip(n);
  if (modulus.length === 0 || modulus[0] === 0) return null;
  return { n: modulus, e: strip(e) };
}
