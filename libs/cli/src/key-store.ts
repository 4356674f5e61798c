import '@certflow/pki';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { exportPkcs8, generateKeyPair, importPkcs8, parseName, signingAlgorithmFor, type KeyType } from '@certflow/pki';
import { writeFileAtomic } from './atomic-file';
import { CliError, EXIT } from './exit-codes';

export const KEY_TYPES = ['ec-p256', 'rsa-2048'] as const;
export type CliKeyType = (typeof KEY_TYPES)[number];

export const KEY_FILE = 'key.pem';
export const CSR_FILE = 'csr.pem';

function pem(label: string, der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** Makes `dir` (0700 when it is new) or fails with one line. */
export function ensureDir(dir: string, mode = 0o700): void {
  try {
    mkdirSync(dir, { recursive: true, mode });
  } catch (e) {
    throw new CliError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.ERROR, 'OUT_DIR', 'choose a writable --out directory');
  }
}

/**
 * A new key pair for `dir`, written as PKCS#8 PEM `<dir>/key.pem` with mode 0600 (atomically; an
 * older key is kept as key.pem.prev when `replace`). Refuses to overwrite a key otherwise.
 */
export async function createKey(dir: string, type: CliKeyType, opts: { replace?: boolean } = {}): Promise<{ keys: CryptoKeyPair; path: string }> {
  ensureDir(dir);
  const path = join(dir, KEY_FILE);
  if (existsSync(path) && !opts.replace) {
    throw new CliError(`${path} already exists`, EXIT.USAGE, 'KEY_EXISTS', 'use another --out directory, or --force to make a new key (the old one is kept as key.pem.prev)');
  }
  const keys = await generateKeyPair(type as KeyType);
  const text = pem('PRIVATE KEY', await exportPkcs8(keys.privateKey));
  writeFileAtomic(path, text, { mode: 0o600, keepPrevious: true });
  chmodSync(path, 0o600);
  if (existsSync(`${path}.prev`)) chmodSync(`${path}.prev`, 0o600);
  return { keys, path };
}

/** The key pair stored in `path` (PKCS#8 PEM), for making a CSR again. */
export async function loadKey(path: string): Promise<CryptoKeyPair> {
  const text = readFileSync(path, 'utf8');
  const der = createPrivateKey(text).export({ type: 'pkcs8', format: 'der' });
  const ab = der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
  const privateKey = await importPkcs8(ab, 'auto', { extractable: true });
  const spki = createPublicKey(text).export({ type: 'spki', format: 'der' });
  const alg = privateKey.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  const params = alg.name === 'ECDSA' ? { name: 'ECDSA', namedCurve: alg.namedCurve } : { name: alg.name, hash: alg.hash };
  const publicKey = await globalThis.crypto.subtle.importKey('spki', spki, params, true, ['verify']);
  return { privateKey, publicKey };
}

/** A PKCS#10 request for `host` (CN and first SAN) and `names` (more SANs; IPs become IP SANs). */
export async function makeCsr(keys: CryptoKeyPair, host: string, names: string[] = []): Promise<string> {
  const all = [...new Set([host, ...names].map((n) => n.trim()).filter(Boolean))];
  const san = all.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseName(`CN=${host}`),
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: [new x509.SubjectAlternativeNameExtension(san)],
  });
  return pem('CERTIFICATE REQUEST', csr.rawData);
}

/** SPKI DER of a private key PEM or a certificate PEM, to tell whether they belong together. */
function spkiOfKey(keyPem: string): Buffer | undefined {
  try {
    return createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

/**
 * The private key in `dir` that goes with `certificatePem`: key.pem, key.pem.prev, or keys/*.pem.
 * Returns its PEM text, or undefined when no key there matches.
 */
export function findKeyFor(dir: string, certificatePem: string): string | undefined {
  const want = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  const candidates = [join(dir, KEY_FILE), join(dir, `${KEY_FILE}.prev`)];
  const keysDir = join(dir, 'keys');
  if (existsSync(keysDir)) for (const f of readdirSync(keysDir)) if (f.endsWith('.pem')) candidates.push(join(keysDir, f));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const text = readFileSync(c, 'utf8');
    const spki = spkiOfKey(text);
    if (spki && spki.equals(want)) return text;
  }
  return undefined;
}

/** True when the private key in `keyPath` is the one `certificatePem` was issued for. */
export function keyMatchesCertificate(keyPath: string, certificatePem: string): boolean {
  if (!existsSync(keyPath)) return false;
  const spki = spkiOfKey(readFileSync(keyPath, 'utf8'));
  return !!spki && spki.equals(new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' }));
}

/** The CLI key type of a private key PEM (a renewal makes the same kind of key as before), or undefined. */
export function keyTypeOf(keyPath: string): CliKeyType | undefined {
  try {
    const k = createPrivateKey(readFileSync(keyPath, 'utf8'));
    if (k.asymmetricKeyType === 'ec') return 'ec-p256';
    if (k.asymmetricKeyType === 'rsa') return 'rsa-2048';
  } catch {
    /* no key, or not one the CLI made */
  }
  return undefined;
}
