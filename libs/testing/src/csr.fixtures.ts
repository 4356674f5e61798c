import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { generateKeyPair, parseName, signingAlgorithmFor, type KeyType } from '@certflow/pki';
import { weakRsaKeys } from './damaged-ca.fixtures';

/** A CSR in PEM and the key pair that made it. */
export interface TestCsr {
  pem: string;
  keys: CryptoKeyPair;
}

/** What a test CSR asks for: CN (or `subject`) and SANs `host` + `names`; IPs become IP SANs. */
export interface TestCsrParams {
  host: string;
  names?: string[];
  keyType?: KeyType;
  /** RFC 4514 subject; default "CN=<host>". */
  subject?: string;
  /** Leave out the subjectAltName extension (a CN-only CSR). */
  noSan?: boolean;
}

function pemOf(der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}-----END CERTIFICATE REQUEST-----\n`;
}

async function makeCsr(params: TestCsrParams, keys: CryptoKeyPair): Promise<TestCsr> {
  const all = [...new Set([params.host, ...(params.names ?? [])])];
  const san = all.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseName(params.subject ?? `CN=${params.host}`),
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: params.noSan ? [] : [new x509.SubjectAlternativeNameExtension(san)],
  });
  return { pem: pemOf(csr.rawData), keys };
}

/** A real PKCS#10 request, signed by a fresh key (EC P-256 unless `keyType`). */
export async function testCsr(params: TestCsrParams): Promise<TestCsr> {
  return makeCsr(params, await generateKeyPair(params.keyType ?? 'ec-p256'));
}

/** A "CERTIFICATE REQUEST" PEM block whose content is random bytes. */
export function garbageCsr(): string {
  return pemOf(randomBytes(256));
}

/** A well-formed CSR whose signature has one byte flipped: it parses, but proves no key possession. */
export async function csrWithBadSignature(params: Partial<TestCsrParams> = {}): Promise<TestCsr> {
  const good = await testCsr({ host: 'bad-signature.example.test', ...params });
  const der = Buffer.from(new x509.Pkcs10CertificateRequest(good.pem).rawData);
  der[der.length - 1] ^= 0x01; // the last byte belongs to the signature BIT STRING
  return { pem: pemOf(der), keys: good.keys };
}

/** A CSR with an RSA-1024 key (too weak), correctly signed. */
export async function weakRsaCsr(params: Partial<TestCsrParams> = {}): Promise<TestCsr> {
  return makeCsr({ host: 'weak-rsa.example.test', ...params }, await weakRsaKeys());
}
