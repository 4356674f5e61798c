import { Inject, Injectable, Optional } from '@nestjs/common';
import { completePath, derToPem, isPkiInputError, parseCertificate, singleCertificateDer, thumbprintSha1, thumbprintSha256, toPem, validateChain, type Clock, type X509Certificate } from '@certflow/pki';
import { insertRow, upsertRow, type Write } from '@certflow/messaging';
import { CLOCK } from '@certflow/runtime';
import type { TrustSnapshot } from '../trust-store/trust-store.cache';
import { DEFAULT_MAX_CHAIN_CERTIFICATES, TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from '../config';
import { invalid, toOutcome, type ValidationOutcome } from './validation-outcome';
import { SEEN_CERTIFICATE, VALIDATION } from './persistence/chain-validation.tables';

/** A certificate as a CA returned it: what gets validated (and re-validated after an import). */
export interface IssuedCertificate {
  requestId: string;
  thumbprint: string;
  certificate: string;
  chain: string[];
}

/** A certificate a validation read, as kept for look-up by thumbprint. */
export interface SeenCertificate {
  thumbprint: string;
  thumbprintSha256: string;
  pem: string;
}

/** A validation's conclusion plus the certificates it could read. */
export interface CheckedCertificate {
  outcome: ValidationOutcome;
  seen: SeenCertificate[];
}

const seenFromDer = (der: Uint8Array): SeenCertificate => ({ thumbprint: thumbprintSha1(der), thumbprintSha256: thumbprintSha256(der), pem: derToPem(der) });
const seenFromCertificate = (cert: X509Certificate): SeenCertificate => ({ thumbprint: thumbprintSha1(cert), thumbprintSha256: thumbprintSha256(cert), pem: toPem(cert) });

/**
 * Validates a returned certificate against the trust stores and says what to record. Bad input never
 * throws: it becomes an `invalid` outcome with a reason code, since retrying cannot fix it.
 */
@Injectable()
export class ChainValidationService {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(TRUST_VALIDATION_CONFIG) private readonly config?: Pick<TrustValidationConfig, 'CERTFLOW_MAX_CHAIN_CERTIFICATES'>,
  ) {}

  async check(issued: IssuedCertificate, stores: TrustSnapshot): Promise<CheckedCertificate> {
    // Counted before anything is parsed: each chain certificate costs a decode and path-search
    // steps, and a CA (or an upload) could send thousands.
    const limit = this.config?.CERTFLOW_MAX_CHAIN_CERTIFICATES ?? DEFAULT_MAX_CHAIN_CERTIFICATES;
    if (issued.chain.length > limit) {
      return {
        outcome: invalid('ChainTooLong', [
          `The CA returned ${issued.chain.length} chain certificates with the certificate; at most ${limit} are accepted (CERTFLOW_MAX_CHAIN_CERTIFICATES). ` +
            `Have the CA send only the intermediates up to its root, or raise the limit if it really needs more.`,
        ]),
        seen: [],
      };
    }
    return this.checkComplete(issued, stores) ?? this.diagnose(issued, stores);
  }

  /**
   * The common case, cheaply: the leaf and its chain as DER straight into the path engine. `null`
   * when anything is unusual (unreadable PEM, a thumbprint that does not match, no valid path); then
   * `diagnose` reads everything properly and says what is wrong.
   */
  private checkComplete(issued: IssuedCertificate, stores: TrustSnapshot): CheckedCertificate | null {
    const leaf = singleCertificateDer(issued.certificate);
    const provided = issued.chain.map(singleCertificateDer);
    if (!leaf || provided.some((der) => der === null) || thumbprintSha1(leaf) !== issued.thumbprint) return null;
    const chain = provided as Buffer[];
    const path = completePath({ leaf, provided: chain, intermediates: stores.intermediates, roots: stores.roots, at: this.clock.now() });
    if (!path) return null;
    return {
      outcome: { status: 'complete', path: path.map((der) => thumbprintSha1(der)), pathPem: path.map((der) => derToPem(der)), reasons: [] },
      seen: [leaf, ...chain].map(seenFromDer),
    };
  }

  private async diagnose(issued: IssuedCertificate, stores: TrustSnapshot): Promise<CheckedCertificate> {
    let leaf: X509Certificate;
    try {
      leaf = parseCertificate(issued.certificate);
    } catch (err) {
      if (!isPkiInputError(err)) throw err;
      return { outcome: invalid('CertificateUnparsable', [`The certificate the CA returned cannot be read: ${err.message}`]), seen: [] };
    }
    if (thumbprintSha1(leaf) !== issued.thumbprint) {
      return {
        outcome: invalid('ThumbprintMismatch', [
          `The certificate's SHA-1 thumbprint is ${thumbprintSha1(leaf)}, not ${issued.thumbprint} as the issuance reported.`,
        ]),
        seen: [seenFromCertificate(leaf)],
      };
    }
    const provided: X509Certificate[] = [];
    const unreadable: string[] = [];
    issued.chain.forEach((pem, i) => {
      try {
        provided.push(parseCertificate(pem));
      } catch (err) {
        if (!isPkiInputError(err)) throw err;
        // An unreadable extra certificate is ignored: the stores may still complete the chain.
        unreadable.push(`Chain certificate #${i + 1} returned by the CA cannot be read and was ignored.`);
      }
    });
    const result = await validateChain({
      leaf,
      provided,
      intermediates: stores.intermediates,
      roots: stores.roots,
      at: this.clock.now(),
    });
    const outcome = toOutcome(result);
    if (outcome.status !== 'complete' && unreadable.length) outcome.reasons = [...outcome.reasons, ...unreadable];
    return { outcome, seen: [leaf, ...provided].map(seenFromCertificate) };
  }

  /**
   * The writes that record a validation: the request's validation row (replaced on re-validation)
   * and the certificates it could read (the first sighting of each is kept).
   */
  recordWrites(issued: IssuedCertificate, checked: CheckedCertificate): Write[] {
    const { outcome } = checked;
    const at = this.clock.now();
    return [
      upsertRow(VALIDATION, {
        requestId: issued.requestId,
        thumbprint: issued.thumbprint,
        certificate: issued.certificate,
        chain: issued.chain,
        status: outcome.status,
        path: outcome.status === 'complete' ? outcome.path : null,
        missing: outcome.status === 'incomplete' ? outcome.missing : null,
        reasons: outcome.reasons,
        waitingOn: outcome.status === 'incomplete' ? outcome.waitingOn : [],
        validatedAt: at,
      }),
      ...checked.seen.map((c) => insertRow(SEEN_CERTIFICATE, { ...c, firstSeenAt: at }, { ifExists: 'skip' })),
    ];
  }
}
