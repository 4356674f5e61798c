import { Inject, Injectable } from '@nestjs/common';
import { isPkiInputError, parseCertificate, thumbprintSha1, thumbprintSha256, toPem, validateChain, type Clock, type X509Certificate } from '@certflow/pki';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '@certflow/runtime';
import type { TrustSnapshot } from '../trust-store/trust-store.cache';
import { invalid, toOutcome, type ValidationOutcome } from './validation-outcome';

/** A certificate as a CA returned it: what gets validated (and re-validated after an import). */
export interface IssuedCertificate {
  requestId: string;
  thumbprint: string;
  certificate: string;
  chain: string[];
}

/** A validation's conclusion plus the certificates it could read (kept for look-up by thumbprint). */
export interface CheckedCertificate {
  outcome: ValidationOutcome;
  seen: X509Certificate[];
}

/**
 * Validates a returned certificate against the trust stores and records the result. Bad input never
 * throws: it becomes an `invalid` outcome with a reason code, since retrying cannot fix it.
 */
@Injectable()
export class ChainValidationService {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async check(issued: IssuedCertificate, stores: TrustSnapshot): Promise<CheckedCertificate> {
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
        seen: [leaf],
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
    return { outcome, seen: [leaf, ...provided] };
  }

  /** Writes (or replaces) the request's validation row and remembers the certificates seen. */
  async record(m: EntityManager, issued: IssuedCertificate, checked: CheckedCertificate): Promise<void> {
    const { outcome } = checked;
    const at = this.clock.now();
    await m.query(
      `INSERT INTO validation (request_id, thumbprint, certificate, chain, status, path, missing, reasons, waiting_on, validated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (request_id) DO UPDATE SET thumbprint = EXCLUDED.thumbprint, certificate = EXCLUDED.certificate,
         chain = EXCLUDED.chain, status = EXCLUDED.status, path = EXCLUDED.path, missing = EXCLUDED.missing,
         reasons = EXCLUDED.reasons, waiting_on = EXCLUDED.waiting_on, validated_at = EXCLUDED.validated_at`,
      [
        issued.requestId,
        issued.thumbprint,
        issued.certificate,
        JSON.stringify(issued.chain),
        outcome.status,
        outcome.status === 'complete' ? JSON.stringify(outcome.path) : null,
        outcome.status === 'incomplete' ? JSON.stringify(outcome.missing) : null,
        JSON.stringify(outcome.reasons),
        outcome.status === 'incomplete' ? outcome.waitingOn : [],
        at,
      ],
    );
    for (const cert of checked.seen) {
      await m.query(
        `INSERT INTO seen_certificate (thumbprint, thumbprint_sha256, pem, first_seen_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [thumbprintSha1(cert), thumbprintSha256(cert), toPem(cert), at],
      );
    }
  }
}
