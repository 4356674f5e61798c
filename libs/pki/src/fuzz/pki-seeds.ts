/**
 * Real certificates and CSRs for the fuzzers to break: a root, an intermediate and leaves (EC and
 * RSA) made with this library's issuer, and CSRs made the way a host makes them. Test support only.
 */
import { x509 } from '../x509.setup';
import { createIntermediateCa, createRootCa, issueLeaf, type CaMaterial } from '../certificate-authority.issuer';
import { generateKeyPair, signingAlgorithmFor, type KeyType } from '../key-pair.factory';
import { parseName } from '../distinguished-name.format';
import { pemOf } from './hostile-input.arbitraries';

export interface PkiSeeds {
  root: CaMaterial;
  intermediate: CaMaterial;
  /** Leaf for `host`, issued by the intermediate (EC P-256). */
  leaf: x509.X509Certificate;
  certificates: Uint8Array[];
  csrs: Uint8Array[];
  csrPems: string[];
  host: string;
}

async function csr(host: string, keyType: KeyType): Promise<Uint8Array> {
  const keys = await generateKeyPair(keyType);
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseName(`CN=${host}, O=fuzz`),
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }, { type: 'dns', value: `alt.${host}` }, { type: 'ip', value: '192.0.2.7' }])],
  });
  return new Uint8Array(req.rawData);
}

export async function makePkiSeeds(host = 'fuzz.example.test'): Promise<PkiSeeds> {
  const root = await createRootCa({ subject: 'CN=Fuzz Root, O=certflow fuzz' });
  const intermediate = await createIntermediateCa({ subject: 'CN=Fuzz Intermediate, O=certflow fuzz', issuer: root, pathLength: 0 });
  const ecKeys = await generateKeyPair('ec-p256');
  const rsaKeys = await generateKeyPair('rsa-2048');
  const leaf = await issueLeaf({ issuer: intermediate, publicKey: ecKeys.publicKey, subject: host, dnsNames: [host, `www.${host}`], ipAddresses: ['192.0.2.1'] });
  const rsaLeaf = await issueLeaf({ issuer: root, publicKey: rsaKeys.publicKey, subject: `rsa.${host}`, dnsNames: [`rsa.${host}`] });
  const csrs = [await csr(host, 'ec-p256'), await csr(host, 'rsa-2048'), await csr(host, 'ec-p384')];
  return {
    root,
    intermediate,
    leaf,
    certificates: [root.certificate, intermediate.certificate, leaf, rsaLeaf].map((c) => new Uint8Array(c.rawData)),
    csrs,
    csrPems: csrs.map((d) => pemOf(d, 'CERTIFICATE REQUEST')),
    host,
  };
}
