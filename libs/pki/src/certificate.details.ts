import type { CertificateDetails } from '@certflow/contracts';
import { x509 } from './x509.setup';
import { formatName } from './distinguished-name.format';
import { describeSpki } from './public-key.describe';
import { formatGeneralNames, readGeneralNames, subjectNames, type SubjectNames } from './subject-alt-name.reader';
import { thumbprintSha1, thumbprintSha256 } from './certificate.thumbprint';
import { toPem } from './certificate.parser';

const KEY_USAGE_NAMES: [x509.KeyUsageFlags, string][] = [
  [x509.KeyUsageFlags.digitalSignature, 'digitalSignature'],
  [x509.KeyUsageFlags.nonRepudiation, 'nonRepudiation'],
  [x509.KeyUsageFlags.keyEncipherment, 'keyEncipherment'],
  [x509.KeyUsageFlags.dataEncipherment, 'dataEncipherment'],
  [x509.KeyUsageFlags.keyAgreement, 'keyAgreement'],
  [x509.KeyUsageFlags.keyCertSign, 'keyCertSign'],
  [x509.KeyUsageFlags.cRLSign, 'cRLSign'],
  [x509.KeyUsageFlags.encipherOnly, 'encipherOnly'],
  [x509.KeyUsageFlags.decipherOnly, 'decipherOnly'],
];

/** Extended key usage OIDs by the names operators know; others are shown as their OID. */
export const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.5.5.7.3.17': 'ipsecIKE',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.4.1.311.20.2.2': 'smartcardLogon',
  '1.3.6.1.4.1.311.10.3.12': 'documentSigning',
};

const HASH_SUFFIX: Record<string, string> = { 'SHA-1': 'SHA1', 'SHA-256': 'SHA256', 'SHA-384': 'SHA384', 'SHA-512': 'SHA512' };

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** OpenSSL's name of a signature algorithm ("sha256WithRSAEncryption", "ecdsa-with-SHA384"), else its OID. */
export function signatureAlgorithmName(alg: { name: string; hash?: { name: string } | string }): string {
  const hashName = typeof alg.hash === 'string' ? alg.hash : alg.hash?.name;
  const hash = hashName ? HASH_SUFFIX[hashName.toUpperCase()] : undefined;
  switch (alg.name.toUpperCase()) {
    case 'RSASSA-PKCS1-V1_5':
      return hash ? `${hash.toLowerCase()}WithRSAEncryption` : 'rsaEncryption';
    case 'ECDSA':
      return hash ? `ecdsa-with-${hash}` : 'ecdsa';
    case 'RSA-PSS':
      return 'rsassaPss';
    case 'ED25519':
      return 'Ed25519';
    case 'ED448':
      return 'Ed448';
    default:
      return alg.name;
  }
}

/** Key usage bits by name ("digitalSignature", "keyCertSign", …); `null` when the extension is absent. */
export function keyUsageNames(cert: x509.X509Certificate): string[] | null {
  const ext = safe(() => cert.getExtension(x509.KeyUsagesExtension), null);
  if (!ext) return null;
  return KEY_USAGE_NAMES.filter(([flag]) => (ext.usages & flag) !== 0).map(([, name]) => name);
}

/** EKU names ("serverAuth", "clientAuth"), OID for the unnamed; `null` when the extension is absent (any use). */
export function extendedKeyUsageNames(cert: x509.X509Certificate): string[] | null {
  const ext = safe(() => cert.getExtension(x509.ExtendedKeyUsageExtension), null);
  if (!ext) return null;
  return ext.usages.map((oid) => EKU_NAMES[String(oid)] ?? String(oid));
}

/** BasicConstraints, or `null` when absent. */
export function basicConstraints(cert: x509.X509Certificate): { ca: boolean; pathLength?: number } | null {
  const ext = safe(() => cert.getExtension(x509.BasicConstraintsExtension), null);
  if (!ext) return null;
  return ext.pathLength === undefined ? { ca: ext.ca } : { ca: ext.ca, pathLength: ext.pathLength };
}

/** SubjectKeyIdentifier, upper-case hex, or `null`. */
export function subjectKeyIdentifier(cert: x509.X509Certificate): string | null {
  const ext = safe(() => cert.getExtension(x509.SubjectKeyIdentifierExtension), null);
  return ext?.keyId ? ext.keyId.toUpperCase() : null;
}

/** The keyIdentifier of the AuthorityKeyIdentifier, upper-case hex, or `null`. */
export function authorityKeyIdentifier(cert: x509.X509Certificate): string | null {
  const ext = safe(() => cert.getExtension(x509.AuthorityKeyIdentifierExtension), null);
  return ext?.keyId ? ext.keyId.toUpperCase() : null;
}

/** Subject of a certificate as an RFC 4514 string ("CN=host, O=Acme"). */
export function subjectOf(cert: x509.X509Certificate): string {
  return safe(() => formatName(cert.subjectName), cert.subject);
}

/** Issuer of a certificate as an RFC 4514 string. */
export function issuerOf(cert: x509.X509Certificate): string {
  return safe(() => formatName(cert.issuerName), cert.issuer);
}

/**
 * "View Certificate Details": every field of the contract's CertificateDetails. Never throws on an
 * odd certificate that parsed: a field that cannot be read is empty or `null`.
 */
export function certificateDetails(cert: x509.X509Certificate): CertificateDetails {
  return {
    thumbprint: thumbprintSha1(cert),
    thumbprintSha256: thumbprintSha256(cert),
    subject: subjectOf(cert),
    issuer: issuerOf(cert),
    serialNumber: cert.serialNumber.toUpperCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    subjectAltNames: formatGeneralNames(readGeneralNames(safe(() => cert.getExtension('2.5.29.17'), null))),
    publicKey: safe(() => describeSpki(cert.publicKey.rawData), { algorithm: 'unknown' }),
    signatureAlgorithm: safe(() => signatureAlgorithmName(cert.signatureAlgorithm), 'unknown'),
    keyUsage: keyUsageNames(cert) ?? [],
    extendedKeyUsage: extendedKeyUsageNames(cert) ?? [],
    basicConstraints: basicConstraints(cert),
    subjectKeyIdentifier: subjectKeyIdentifier(cert),
    authorityKeyIdentifier: authorityKeyIdentifier(cert),
    pem: toPem(cert),
  };
}

/** The DNS names, IP addresses and subject CN a certificate is for. */
export function certificateNames(cert: x509.X509Certificate): SubjectNames {
  return subjectNames(cert.subjectName, safe(() => cert.getExtension('2.5.29.17'), null));
}
