// reflect-metadata must load before @peculiar/x509 (see ../../shared/STACK.md).
import 'reflect-metadata';
import './x509.setup';
/** The @peculiar/x509 namespace with its crypto provider set: for code that builds PKI structures (CRLs). */
export { x509 } from './x509.setup';

export { PkiInputError, isPkiInputError } from './pki-input.error';
export { type Clock, systemClock } from './clock';
export { parseCertificates, parseCertificate, toPem, derToPem, singleCertificateDer, DEFAULT_CERTIFICATE_LIMIT } from './certificate.parser';
export { thumbprintSha1, thumbprintSha256, normalizeThumbprint, pemThumbprints } from './certificate.thumbprint';
export {
  certificateDetails,
  certificateNames,
  subjectOf,
  issuerOf,
  keyUsageNames,
  extendedKeyUsageNames,
  basicConstraints,
  subjectKeyIdentifier,
  authorityKeyIdentifier,
  signatureAlgorithmName,
  EKU_NAMES,
} from './certificate.details';
export { formatName, parseName, canonicalName } from './distinguished-name.format';
export { spkiFingerprint, describeSpki, describeKey, type PublicKeyInfo } from './public-key.describe';
export { certificateUsageFacts, type UsageFacts } from './certificate.usage-facts';
export { type SubjectNames } from './subject-alt-name.reader';
export { checkCsr, type CheckedCsr, MAX_CSR_BYTES } from './csr.check';
export { encryptPrivateKey, decryptPrivateKey, isCurrentKeyBlob, type KeyEncryptionSecret } from './private-key.encryption';
export { KeyEncryptionKey, deriveKeyFromSecret } from './key-encryption-key';
export { privateKeyMatchesCertificate } from './private-key.match';
export { type KeyType, generateKeyPair, exportPkcs8, importPkcs8, signingAlgorithmFor } from './key-pair.factory';
export { namesToCertify, compareNames, comparableName, type LeafNames, type NamesDifference } from './issuance/leaf.names';
export { type CaMaterial, type LeafEku, createRootCa, createIntermediateCa, issueLeaf, issueFromCsr, issuePemFromCsr, randomSerialNumber } from './certificate-authority.issuer';
export { type RevocationPointers } from './issuance/leaf.builder';
export { type ChainValidation, type ChainFailureCode, validateChain, completePath, caCertificateProblem } from './chain.validation';
export { clearSignatureCache, signatureChecksPerformed } from './chain-signature.cache';
export { verifyPath, type VerifyPathOptions, type PathVerdict, type CertificateInput } from './path/path.verify';
export { certificateFacts, type CertificateFacts } from './path/certificate.facts';
export { pemToDer } from './path/pem.decode';
export { BoundedCache } from './bounded-cache';
export { type PeerName } from './path/peer-name.match';
export { X509Certificate, Pkcs10CertificateRequest } from '@peculiar/x509';
