import { isIP } from 'node:net';
import {
  createIntermediateCa,
  createRootCa,
  generateKeyPair,
  issueLeaf,
  toPem,
  type CaMaterial,
  type KeyType,
  type LeafEku,
  type X509Certificate,
} from '@certflow/pki';
import { csrWithBadSignature, garbageCsr, testCsr, weakRsaCsr, type TestCsr, type TestCsrParams } from './csr.fixtures';

/** A CA of the test PKI: its certificate, signing key, key pair and PEM. */
export type TestCa = CaMaterial & { keys: CryptoKeyPair; pem: string };

/** A certificate the test PKI issued, with its PEM and key pair. */
export interface IssuedLeaf {
  certificate: X509Certificate;
  pem: string;
  keys: CryptoKeyPair;
}

/** Options of {@link TestPki.create}. */
export interface TestPkiOptions {
  rootSubject?: string;
  intermediateSubject?: string;
  keyType?: KeyType;
  notBefore?: Date;
  notAfter?: Date;
}

/** What {@link TestPki.leafFor} issues. */
export interface LeafParams {
  host: string;
  /** More DNS names beside `host`. */
  names?: string[];
  /** IP SANs (an IP `host` is one too). */
  ips?: string[];
  eku?: LeafEku[];
  notBefore?: Date;
  notAfter?: Date;
  keyType?: KeyType;
  /** Default: the intermediate. */
  issuer?: CaMaterial;
  /** The key pair the leaf certifies (e.g. a {@link TestCsr}'s, as a CA answering that CSR would); default a fresh one. */
  keys?: CryptoKeyPair;
  subject?: string;
}

/**
 * A root → intermediate PKI generated at run time (never a checked-in key), for tests that need
 * certificates, chains and CSRs. Fresh keys at every `create()`.
 */
export class TestPki {
  private constructor(
    readonly root: TestCa,
    readonly intermediate: TestCa,
  ) {}

  /** Builds "CN=certflow Test Root" → "CN=certflow Test Intermediate" (EC P-256 unless `keyType`). */
  static async create(opts: TestPkiOptions = {}): Promise<TestPki> {
    const validity = { notBefore: opts.notBefore, notAfter: opts.notAfter };
    const root = await createRootCa({ subject: opts.rootSubject ?? 'CN=certflow Test Root, O=certflow tests', keyType: opts.keyType, ...validity });
    const intermediate = await createIntermediateCa({
      subject: opts.intermediateSubject ?? 'CN=certflow Test Intermediate, O=certflow tests',
      issuer: root,
      keyType: opts.keyType,
      pathLength: 0,
      ...validity,
    });
    return new TestPki({ ...root, pem: toPem(root.certificate) }, { ...intermediate, pem: toPem(intermediate.certificate) });
  }

  /** PEM of the intermediate then the root, as a CA returns a chain. */
  get chainPem(): string {
    return this.intermediate.pem + this.root.pem;
  }

  /** A leaf for `host` (CN and SAN), issued by the intermediate unless `issuer`. */
  async leafFor(params: LeafParams): Promise<IssuedLeaf> {
    const keys = params.keys ?? (await generateKeyPair(params.keyType ?? 'ec-p256'));
    const hostIsIp = isIP(params.host) !== 0;
    const certificate = await issueLeaf({
      issuer: params.issuer ?? this.intermediate,
      publicKey: keys.publicKey,
      subject: params.subject ?? `CN=${params.host}`,
      dnsNames: [...new Set([...(hostIsIp ? [] : [params.host]), ...(params.names ?? [])])],
      ipAddresses: [...new Set([...(hostIsIp ? [params.host] : []), ...(params.ips ?? [])])],
      eku: params.eku,
      notBefore: params.notBefore,
      notAfter: params.notAfter,
    });
    return { certificate, pem: toPem(certificate), keys };
  }

  /** A real PKCS#10 CSR for `host` (+ `names`). */
  csr(params: TestCsrParams): Promise<TestCsr> {
    return testCsr(params);
  }

  /** See {@link garbageCsr}. */
  garbageCsr(): string {
    return garbageCsr();
  }

  /** See {@link csrWithBadSignature}. */
  csrWithBadSignature(params: Partial<TestCsrParams> = {}): Promise<TestCsr> {
    return csrWithBadSignature(params);
  }

  /** See {@link weakRsaCsr}. */
  weakRsaCsr(params: Partial<TestCsrParams> = {}): Promise<TestCsr> {
    return weakRsaCsr(params);
  }
}
