import { BoundedCache } from '../bounded-cache';
import { DerError, TAG, children, readOid, readWhole } from './der.reader';
import type { CertificateFacts } from './certificate.facts';
import { publicKeyOf } from './signature.verifier';
import { rsaModulusBits } from '../spki.import';

/**
 * Which public keys a fleet accepts anywhere on a path (CA/Browser Forum Baseline Requirements
 * §6.1.5): RSA of at least 2048 bits with a modulus a multiple of 8, ECDSA on P-256, P-384 or
 * P-521 given by name (explicit curve parameters hide weak curves, CVE-2020-0601), Ed25519/Ed448.
 * DSA and every other curve (P-192, P-224, brainpool…) are refused.
 */

const RSA = '1.2.840.113549.1.1.1';
const RSA_PSS = '1.2.840.113549.1.1.10';
const EC = '1.2.840.10045.2.1';
const DSA = '1.2.840.10040.4.1';
const ED = new Set(['1.3.101.112', '1.3.101.113']);
const CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};
const WEAK_CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.1': 'P-192',
  '1.3.132.0.33': 'P-224',
};

export const MIN_RSA_BITS = 2048;

const verdicts = new BoundedCache<string, string | null>(20_000);

function judge(facts: CertificateFacts): string | null {
  try {
    const spki = readWhole(facts.spki);
    const [alg] = children(facts.spki, spki);
    if (!alg || alg.tag !== TAG.SEQUENCE) throw new DerError('bad SubjectPublicKeyInfo');
    const [oidTlv, params] = children(facts.spki, alg);
    const oid = readOid(facts.spki, oidTlv);
    if (oid === DSA) return 'a DSA key (DSA is no longer allowed)';
    if (oid === EC) {
      if (!params || params.tag !== TAG.OID) return 'an EC key with explicit curve parameters (only named curves are allowed)';
      const curve = readOid(facts.spki, params);
      if (WEAK_CURVES[curve]) return `an EC key on ${WEAK_CURVES[curve]} (too weak; P-256, P-384 or P-521 are required)`;
      // Whether the point is on the curve is found when the key verifies a signature: importing
      // every leaf key only to check that would double the cost of a validation.
      return CURVES[curve] ? null : `an EC key on the curve ${curve} (only P-256, P-384 and P-521 are allowed)`;
    }
    if (oid === RSA || oid === RSA_PSS) {
      const bits = rsaModulusBits(facts.spki);
      if (bits === null) return 'an unreadable RSA key';
      if (bits < MIN_RSA_BITS) return `a ${bits}-bit RSA key (at least ${MIN_RSA_BITS} bits are required)`;
      if (bits % 8 !== 0) return `a ${bits}-bit RSA key (the modulus size must be a multiple of 8)`;
      return null;
    }
    if (ED.has(oid)) return publicKeyOf(facts) ? null : 'an unreadable EdDSA key';
    return `a key of an unsupported algorithm (${oid})`;
  } catch (error) {
    return `an unreadable public key (${(error as Error).message})`;
  }
}

/** `null` when the certificate's key is acceptable, else what is wrong with it, in words. Cached per key. */
export function keyWeakness(facts: CertificateFacts): string | null {
  return verdicts.getOrSet(facts.spkiKey, () => judge(facts));
}
