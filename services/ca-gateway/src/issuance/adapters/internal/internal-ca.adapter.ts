import { type CaMaterial, type Clock, issuePemFromCsr, type KeyEncryptionSecret, type RevocationPointers } from '@certflow/pki';
import type { IssueOutcome, IssueRequest, StartableCaAdapter } from '../../ca-adapter.port';
import { createInternalCa, leafValidity, openInternalCa, type OpenInternalCa } from './internal-ca.material';
import type { InternalCaStore } from './internal-ca.store';

export interface InternalCaAdapterOptions {
  /** The issuer name this CA serves (the key of its stored record). */
  issuer: string;
  /** Common-name stem: "<name> Root CA", "<name> Issuing CA 1". */
  caName: string;
  /** CERTFLOW_CA_KEY: encrypts the CA private keys at rest. */
  key: KeyEncryptionSecret;
  /** Validity of issued leaves, in days. */
  leafDays: number;
  clock: Clock;
  store: InternalCaStore;
  /**
   * CERTFLOW_PUBLIC_URL: leaves carry `<url>/pki/<issuer>/crl` as CRL distribution point and
   * `<url>/pki/<issuer>/ocsp` as OCSP URL. None when absent (unit specs).
   */
  publicUrl?: string;
}

/** The CRL and OCSP URLs the leaves of `issuer` carry under the public base URL. */
export function revocationPointers(publicUrl: string, issuer: string): RevocationPointers {
  const base = `${publicUrl}/pki/${encodeURIComponent(issuer)}`;
  return { crlUrl: `${base}/crl`, ocspUrl: `${base}/ocsp` };
}

/**
 * The gateway's own two-tier CA. It issues at once from the CSR: the host's private key never
 * reaches it. Its keys are created on first start and stored encrypted; its root is published so
 * trust-validation trusts what it signs.
 */
export class InternalCaAdapter implements StartableCaAdapter {
  readonly type = 'internal';
  private ca?: OpenInternalCa;

  constructor(private readonly opts: InternalCaAdapterOptions) {}

  /**
   * Loads the CA (creating it on the very first start); key blobs in an older format are stored
   * again in the current one. @throws CaKeyMismatchError on a wrong key, CaKeyCertificateMismatchError
   * when a stored key is not its certificate's.
   */
  async start(): Promise<void> {
    const { issuer, caName, key, clock } = this.opts;
    const record = await this.opts.store.loadOrCreate(issuer, async () => (await createInternalCa({ issuer, name: caName, key, clock })).record);
    // Opened from the stored record even when just created: what signs is exactly what was stored.
    this.ca = await openInternalCa(record, key);
    if (this.ca.upgradedKeys) await this.opts.store.replaceKeys(issuer, record, this.ca.upgradedKeys);
  }

  async issue(req: IssueRequest): Promise<IssueOutcome> {
    if (!this.ca) throw new Error(`internal CA "${this.opts.issuer}" is not started`);
    const now = this.opts.clock.now();
    const issuing = this.ca.issuing.certificate;
    if (now.getTime() >= issuing.notAfter.getTime()) {
      return {
        kind: 'refused',
        code: 'IssuerCaExpired',
        message: `the internal issuing CA expired on ${issuing.notAfter.toISOString()}; it must be renewed before it can issue`,
      };
    }
    // The leaf's subject is built from the request's host, never copied from the CSR.
    const certificate = await issuePemFromCsr({
      csr: req.csr,
      host: req.host,
      issuer: this.ca.issuing,
      ...leafValidity(now, this.opts.leafDays, issuing.notAfter),
      ...(this.opts.publicUrl ? { revocation: revocationPointers(this.opts.publicUrl, this.opts.issuer) } : {}),
    });
    return { kind: 'issued', certificate, chain: [this.ca.intermediatePem] };
  }

  /** The issuing CA and its key: what signs this issuer's CRLs and OCSP responses. */
  signer(): CaMaterial {
    if (!this.ca) throw new Error(`internal CA "${this.opts.issuer}" is not started`);
    return this.ca.issuing;
  }

  /** The root (PEM) anchoring this CA; undefined before start. */
  rootPem(): string | undefined {
    return this.ca?.rootPem;
  }
}
