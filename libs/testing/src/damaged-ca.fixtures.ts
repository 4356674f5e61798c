import * as x509 from '@peculiar/x509';
import { generateKeyPair, parseCertificates, parseName, randomSerialNumber, signingAlgorithmFor, toPem, type CaMaterial } from '@certflow/pki';

/**
 * An intermediate CA signed by `issuer`, made as createIntermediateCa makes one, plus `extra`
 * extensions. With the damage below it shows where @peculiar/x509 reads leniently and the path
 * engine strictly: the certificate parses, yet no path can go through it. `opts.keys` gives it
 * another key pair (a weak one, say), `opts.keyUsage` other KeyUsage flags.
 */
export async function intermediateCaWith(
  issuer: CaMaterial,
  subject: string,
  extra: (keys: CryptoKeyPair) => Promise<x509.Extension[]>,
  opts: { keys?: CryptoKeyPair; keyUsage?: x509.KeyUsageFlags } = {},
): Promise<CaMaterial & { pem: string }> {
  const keys = opts.keys ?? (await generateKeyPair('ec-p256'));
  const made = await x509.X509CertificateGenerator.create({
    subject: parseName(subject),
    issuer: issuer.certificate.subjectName,
    publicKey: keys.publicKey,
    signingKey: issuer.privateKey,
    signingAlgorithm: signingAlgorithmFor(issuer.privateKey),
    serialNumber: randomSerialNumber(),
    notBefore: new Date(Date.now() - 5 * 60_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(opts.keyUsage ?? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate.publicKey),
      ...(await extra(keys)),
    ],
  });
  const pem = toPem(made);
  // Through the same parser an import uses, so the test holds what an operator's PEM would give.
  return { certificate: parseCertificates(pem)[0], privateKey: keys.privateKey, pem };
}

/** A non-critical extension under a private arc (1.3.6.1.4.1.55555.1) whose value claims 5 bytes and holds 1: not DER. */
export const notDerExtension = async (): Promise<x509.Extension[]> => [new x509.Extension('1.3.6.1.4.1.55555.1', false, new Uint8Array([0x04, 0x05, 0x01]))];

/** A critical extension under a private arc (1.3.6.1.4.1.55555.2), well-formed (a DER NULL) but understood by no validator. */
export const unknownCriticalExtension = async (): Promise<x509.Extension[]> => [new x509.Extension('1.3.6.1.4.1.55555.2', true, new Uint8Array([0x05, 0x00]))];

/** An RSA key pair of 1024 bits, below the 2048 that path validation asks of every key. */
export async function weakRsaKeys(): Promise<CryptoKeyPair> {
  return (await globalThis.crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
}

/** A second SubjectKeyIdentifier: each extension may appear once (RFC 5280 §4.2). */
export const duplicateSkiExtension = async (keys: CryptoKeyPair): Promise<x509.Extension[]> => [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)];
