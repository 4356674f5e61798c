import { BoundedCache } from '../bounded-cache';
import { verify, constants, type KeyObject } from 'node:crypto';
import { DerError, TAG, children, readOid, readSmallInteger, readWhole } from './der.reader';
import type { CertificateFacts } from './certificate.facts';
import { importSpki } from '../spki.import';

/**
 * Signature checks with node:crypto's synchronous `verify` (WebCrypto is async and several times
 * slower per call), cached by (certificate DER hash, issuer SPKI hash): a result depends only on
 * those two, so it never goes stale, and the same pairs come back in every re-validation.
 * SHA-1 and MD5 signatures are refused outright (CA/Browser Forum; collisions are practical).
 */

type Scheme = { kind: 'rsa' | 'ecdsa'; hash: string } | { kind: 'pss'; hash: string; saltLength: number } | { kind: 'eddsa' };

const HASH_OIDS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SIMPLE: Record<string, Scheme> = {
  '1.2.840.113549.1.1.11': { kind: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { kind: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { kind: 'rsa', hash: 'sha512' },
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'sha512' },
  '1.3.101.112': { kind: 'eddsa' },
  '1.3.101.113': { kind: 'eddsa' },
};

const WEAK: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
};

const RSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';

function hashOf(buf: Uint8Array, algId: ReturnType<typeof readWhole>): string {
  const [oid] = children(buf, algId);
  const hash = oid && HASH_OIDS[readOid(buf, oid)];
  if (!hash) throw new DerError('unsupported PSS hash');
  return hash;
}

/** RSASSA-PSS parameters (RFC 4055); only SHA-2 with MGF1 over the same hash is accepted. */
function pssScheme(buf: Uint8Array, params: ReturnType<typeof readWhole> | undefined): Scheme {
  if (!params || params.tag !== TAG.SEQUENCE) throw new DerError('PSS without parameters');
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let saltLength = 20;
  for (const field of children(buf, params)) {
    const [inner] = children(buf, field);
    if (!inner) throw new DerError('empty PSS field');
    if (field.tag === 0xa0) hash = hashOf(buf, inner);
    else if (field.tag === 0xa1) {
      const [mgf, mgfParams] = children(buf, inner);
      if (!mgf || readOid(buf, mgf) !== MGF1 || !mgfParams) throw new DerError('PSS mask generation is not MGF1');
      mgfHash = hashOf(buf, mgfParams);
    } else if (field.tag === 0xa2) saltLength = readSmallInteger(buf, inner);
    else if (field.tag === 0xa3) {
      if (readSmallInteger(buf, inner) !== 1) throw new DerError('PSS trailer field must be 1');
    } else throw new DerError('bad PSS field');
  }
  if (hash === 'sha1' || mgfHash !== hash) throw new DerError('PSS with SHA-1 or mismatched MGF1 hash');
  return { kind: 'pss', hash, saltLength };
}

const schemes = new Map<string, Scheme | string>();

/**
 * What an AlgorithmIdentifier asks for. Returns a string (the reason) for an algorithm that is
 * refused or not understood.
 */
export function signatureScheme(algorithmIdentifier: Uint8Array): Scheme | string {
  const id = Buffer.from(algorithmIdentifier).toString('latin1');
  let scheme = schemes.get(id);
  if (scheme !== undefined) return scheme;
  try {
    const seq = readWhole(algorithmIdentifier);
    const [oidTlv, params, extra] = children(algorithmIdentifier, seq);
    if (!oidTlv || extra) throw new DerError('bad AlgorithmIdentifier');
    const oid = readOid(algorithmIdentifier, oidTlv);
    if (WEAK[oid]) scheme = `${WEAK[oid]} is a weak signature algorithm`;
    else if (oid === RSA_PSS) scheme = pssScheme(algorithmIdentifier, params);
    else if (SIMPLE[oid]) {
      const s = SIMPLE[oid];
      // RFC 4055 / 5758 / 8410: RSA PKCS#1 takes NULL parameters; ECDSA and EdDSA take none.
      if (s.kind === 'rsa' ? params && params.tag !== TAG.NULL : params) throw new DerError(`unexpected parameters for ${oid}`);
      scheme = s;
    } else scheme = `the signature algorithm ${oid} is not supported`;
  } catch (error) {
    scheme = `the signature algorithm is malformed (${(error as Error).message})`;
  }
  if (schemes.size < 1000) schemes.set(id, scheme);
  return scheme;
}

const keys = new BoundedCache<string, KeyObject | null>(20_000);

function importKey(facts: CertificateFacts): KeyObject {
  const imported = importSpki(facts.spki);
  if (!imported) throw new Error('OpenSSL cannot load this public key');
  return imported.key;
}

/** The issuer's public key as a KeyObject, cached by SPKI hash; `null` when OpenSSL cannot read it. */
export function publicKeyOf(facts: CertificateFacts): KeyObject | null {
  return keys.getOrSet(facts.spkiKey, () => {
    try {
      return importKey(facts);
    } catch {
      return null;
    }
  });
}

const results = new BoundedCache<string, boolean>(50_000);
let performed = 0;

/**
 * `true` when `signature` over `signed` verifies with `key` under `scheme`. Never throws: a key of the
 * wrong type for the algorithm, or a malformed signature, is `false`.
 */
export function verifyWithScheme(scheme: Scheme, key: KeyObject, signed: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (scheme.kind === 'eddsa') return verify(null, signed, key, signature);
    if (scheme.kind === 'pss') return verify(scheme.hash, signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength }, signature);
    if (scheme.kind === 'ecdsa') return verify(scheme.hash, signed, { key, dsaEncoding: 'der' }, signature);
    return key.asymmetricKeyType === 'rsa' && verify(scheme.hash, signed, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}

/** `true` when `child`'s signature verifies with `issuer`'s key (cached; never throws). */
export function verifySignature(child: CertificateFacts, issuer: CertificateFacts): boolean {
  const id = `${child.key}:${issuer.spkiKey}`;
  const hit = results.get(id);
  if (hit !== undefined) return hit;
  const scheme = signatureScheme(child.signatureAlgorithm);
  const key = publicKeyOf(issuer);
  let ok = false;
  if (typeof scheme !== 'string' && key) {
    performed++;
    ok = verifyWithScheme(scheme, key, child.tbs, child.signature);
  }
  return results.set(id, ok);
}

/** How many signatures were actually verified (not served from the cache) since start or the last clear. */
export function signatureVerificationsPerformed(): number {
  return performed;
}

/** Empties the signature and key caches (tests). */
export function clearSignatureResults(): void {
  results.clear();
  keys.clear();
  performed = 0;
}
