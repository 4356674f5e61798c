import { randomBytes } from 'node:crypto';
import { x509 } from './x509.setup';
import { parseName } from './distinguished-name.format';
import { generateKeyPair, signingAlgorithmFor, type KeyType } from './key-pair.factory';
import { subjectNames } from './subject-alt-name.reader';
import type { CheckedCsr } from './csr.check';
import { derToPem, toPem } from './certificate.parser';
import { csrPublicKeyDer, hostSubjectDer, revocationPointerExtensions, type RevocationPointers, signLeafDer } from './issuance/leaf.builder';
import { namesToCertify } from './issuance/leaf.names';

/** A CA certificate with the private key that signs under it. */
export interface CaMaterial {
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

/** Leaf extended key usages this lib issues. */
export type LeafEku = 'serverAuth' | 'clientAuth';

const DEFAULT_KEY: KeyType = 'ec-p256';
const BACKDATE_MS = 5 * 60 * 1000;
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** A random 16-byte positive serial number, hex (first byte 0x40..0x7F: positive and minimal in DER). */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return bytes.toString('hex');
}

function validity(notBefore: Date | undefined, notAfter: Date | undefined, years: number): { notBefore: Date; notAfter: Date } {
  const start = notBefore ?? new Date(Date.now() - BACKDATE_MS);
  return { notBefore: start, notAfter: notAfter ?? new Date(start.getTime() + years * YEAR_MS) };
}

function isRsa(key: CryptoKey | x509.PublicKey): boolean {
  return key.algorithm.name.toUpperCase().startsWith('RSA');
}

/** An issuing CA signs thousands of leaves; its AKI extension is worked out once. */
const akiByIssuer = new WeakMap<x509.X509Certificate, Promise<x509.AuthorityKeyIdentifierExtension>>();

function authorityKeyId(issuer: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  let aki = akiByIssuer.get(issuer);
  if (!aki) {
    const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
    aki = ski?.keyId ? Promise.resolve(new x509.AuthorityKeyIdentifierExtension(ski.keyId)) : x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
    akiByIssuer.set(issuer, aki);
  }
  return aki;
}

function caExtensions(pathLength?: number): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

/**
 * A self-signed root CA: BasicConstraints cA (critical), KeyUsage keyCertSign + cRLSign (critical), SKI.
 * Defaults: EC P-256 key, valid from 5 minutes ago for 10 years.
 */
export async function createRootCa(opts: { subject: string; keyType?: KeyType; notBefore?: Date; notAfter?: Date; keys?: CryptoKeyPair }): Promise<CaMaterial & { keys: CryptoKeyPair }> {
  const keys = opts.keys ?? (await generateKeyPair(opts.keyType ?? DEFAULT_KEY));
  const name = parseName(opts.subject);
  const certificate = await x509.X509CertificateGenerator.create({
    subject: name,
    issuer: name,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    serialNumber: randomSerialNumber(),
    ...validity(opts.notBefore, opts.notAfter, 10),
    extensions: [...caExtensions(), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { certificate, privateKey: keys.privateKey, keys };
}

/**
 * An intermediate CA signed by `issuer`: BasicConstraints cA (critical, with `pathLength` if given),
 * KeyUsage keyCertSign + cRLSign (critical), SKI, and AKI unless `includeAki` is false.
 * Defaults: EC P-256 key, valid from 5 minutes ago for 5 years.
 */
export async function createIntermediateCa(opts: {
  subject: string;
  issuer: CaMaterial;
  keyType?: KeyType;
  notBefore?: Date;
  notAfter?: Date;
  pathLength?: number;
  keys?: CryptoKeyPair;
  includeAki?: boolean;
}): Promise<CaMaterial & { keys: CryptoKeyPair }> {
  const keys = opts.keys ?? (await generateKeyPair(opts.keyType ?? DEFAULT_KEY));
  const extensions = [...caExtensions(opts.pathLength), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)];
  if (opts.includeAki !== false) extensions.push(await authorityKeyId(opts.issuer.certificate));
  const certificate = await x509.X509CertificateGenerator.create({
    subject: parseName(opts.subject),
    issuer: opts.issuer.certificate.subjectName,
    publicKey: keys.publicKey,
    signingKey: opts.issuer.privateKey,
    signingAlgorithm: signingAlgorithmFor(opts.issuer.privateKey),
    serialNumber: randomSerialNumber(),
    ...validity(opts.notBefore, opts.notAfter, 5),
    extensions,
  });
  return { certificate, privateKey: keys.privateKey, keys };
}

interface LeafParams {
  issuer: CaMaterial;
  publicKey: CryptoKey | x509.PublicKey;
  subject: x509.Name;
  dnsNames: string[];
  ipAddresses: string[];
  notBefore?: Date;
  notAfter?: Date;
  eku: LeafEku[];
  serialNumber?: string;
  isCa?: boolean;
  revocation?: RevocationPointers;
}

async function signLeaf(p: LeafParams): Promise<x509.X509Certificate> {
  let usages = x509.KeyUsageFlags.digitalSignature | (isRsa(p.publicKey) ? x509.KeyUsageFlags.keyEncipherment : 0);
  if (p.isCa) usages |= x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(p.isCa === true, undefined, p.isCa === true), new x509.KeyUsagesExtension(usages, true)];
  if (p.eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(p.eku.map((u) => x509.ExtendedKeyUsage[u])));
  const san = [...p.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...p.ipAddresses.map((value) => ({ type: 'ip' as const, value }))];
  // RFC 5280 §4.2.1.6: with an empty subject the SAN alone names the holder, and must be critical.
  if (san.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(san, p.subject.toJSON().length === 0));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(p.publicKey));
  extensions.push(await authorityKeyId(p.issuer.certificate));
  for (const der of p.revocation ? revocationPointerExtensions(p.revocation) : []) extensions.push(new x509.Extension(new Uint8Array(der)));
  return x509.X509CertificateGenerator.create({
    subject: p.subject,
    issuer: p.issuer.certificate.subjectName,
    publicKey: p.publicKey,
    signingKey: p.issuer.privateKey,
    signingAlgorithm: signingAlgorithmFor(p.issuer.privateKey),
    serialNumber: p.serialNumber ?? randomSerialNumber(),
    ...validity(p.notBefore, p.notAfter, 1),
    extensions,
  });
}

/**
 * An end-entity certificate: KeyUsage digitalSignature (+ keyEncipherment for RSA) critical, SAN, AKI,
 * SKI, BasicConstraints cA=false. EKU serverAuth + clientAuth unless `eku` says otherwise (`[]`: no EKU
 * extension). `isCa` (for tests) makes it cA=true with keyCertSign. A subject without "=" is a CN.
 * Defaults: valid from 5 minutes ago for 1 year, random serial.
 */
export async function issueLeaf(opts: {
  issuer: CaMaterial;
  publicKey: CryptoKey;
  subject: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  eku?: LeafEku[];
  serialNumber?: string;
  isCa?: boolean;
}): Promise<x509.X509Certificate> {
  return signLeaf({
    ...opts,
    subject: parseName(opts.subject),
    dnsNames: opts.dnsNames ?? [],
    ipAddresses: opts.ipAddresses ?? [],
    eku: opts.eku ?? ['serverAuth', 'clientAuth'],
  });
}

interface FromCsrOptions {
  csr: CheckedCsr | x509.Pkcs10CertificateRequest;
  /** The request's host: the leaf's only CN, and among its SANs. Checked by the caller to be among the CSR's names. */
  host: string;
  issuer: CaMaterial;
  notBefore: Date;
  notAfter: Date;
  serialNumber?: string;
  /** CRL distribution point and OCSP URL the leaf carries (the internal CA's); none when absent. */
  revocation?: RevocationPointers;
}

/** DER of the leaf, encoded directly (ECDSA CAs), or null for a CA that takes the general path. */
async function leafDerFromCsr(opts: FromCsrOptions): Promise<Buffer | null> {
  // A checked CSR carries its DER and names: the ASN.1 library need not read it at all.
  const checked = 'spkiFingerprint' in opts.csr ? opts.csr : null;
  const csr = checked ? null : (opts.csr as x509.Pkcs10CertificateRequest);
  const found = checked ?? subjectNames(csr!.subjectName, csr!.getExtension('2.5.29.17'));
  const spkiDer = csrPublicKeyDer(checked ? checked.der : new Uint8Array(csr!.rawData));
  return signLeafDer({
    subject: { subjectDer: hostSubjectDer(opts.host), spkiDer, ...namesToCertify(found, opts.host), rsaKey: checked ? checked.publicKey.algorithm === 'RSA' : isRsa(csr!.publicKey) },
    issuer: opts.issuer,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    serialNumber: opts.serialNumber,
    revocation: opts.revocation,
  });
}

/**
 * Issues a leaf for a request's CSR: subject `CN=<host>` and nothing else (see {@link hostSubjectDer}),
 * the CSR's DNS and IP SANs with the host among them ({@link namesToCertify}), the CSR's public key;
 * EKU serverAuth + clientAuth; a random 16-byte positive serial unless one is given. Nothing else of
 * the CSR (its subject, other requested extensions) reaches the leaf.
 * Does not check the CSR: pass one from {@link checkCsr} (whose names the caller has checked) unless it is trusted.
 */
export async function issueFromCsr(opts: FromCsrOptions): Promise<x509.X509Certificate> {
  const der = await leafDerFromCsr(opts);
  if (der) return new x509.X509Certificate(new Uint8Array(der));
  const csr = 'spkiFingerprint' in opts.csr ? opts.csr.csr : opts.csr;
  return signLeaf({
    issuer: opts.issuer,
    publicKey: csr.publicKey,
    subject: new x509.Name(new Uint8Array(hostSubjectDer(opts.host))),
    ...namesToCertify(subjectNames(csr.subjectName, csr.getExtension('2.5.29.17')), opts.host),
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    eku: ['serverAuth', 'clientAuth'],
    serialNumber: opts.serialNumber,
    revocation: opts.revocation,
  });
}

/** As {@link issueFromCsr}, as PEM: a CA that only hands the certificate on need not decode what it just encoded. */
export async function issuePemFromCsr(opts: FromCsrOptions): Promise<string> {
  const der = await leafDerFromCsr(opts);
  if (!der) return toPem(await issueFromCsr(opts));
  return derToPem(der);
}
