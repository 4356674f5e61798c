import { Inject, Injectable, Optional } from '@nestjs/common';
import { completePath, derToPem, isPkiInputError, parseCertificate, singleCertificateDer, thumbprintSha1, thumbprintSha256, toPem, validateChain, type Clock, type X509Certificate } from '@certflow/pki';
import type { DataSource, EntityManager } from 'typeorm';
import type { CloudEvent } from '@certflow/contracts';
import { inboxClaimSql, outboxInsertSql, outboxParameter } from '@certflow/messaging';
import { CLOCK } from '@certflow/runtime';
import type { TrustSnapshot } from '../trust-store/trust-store.cache';
import { DEFAULT_MAX_CHAIN_CERTIFICATES, TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from '../config';
import { invalid, toOutcome, type ValidationOutcome } from './validation-outcome';
import { validationOutcomes } from '../metrics/validation.metrics';
import { preparedQuery } from '@certflow/persistence';

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
 * Validates a returned certificate against the trust stores and records the result. Bad input never
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

  /** Writes (or replaces) the request's validation row and remembers the certificates seen. */
  async record(m: EntityManager, issued: IssuedCertificate, checked: CheckedCertificate): Promise<void> {
    const params = this.recordParameters(issued, checked);
    await m.query(`WITH validated AS (${VALIDATION_UPSERT}), seen AS (${SEEN_INSERT}) SELECT 1`, params);
    validationOutcomes.inc({ outcome: checked.outcome.status });
  }

  /**
   * `record` and the outgoing `event`, once per inbox `consumer` and event id, in ONE statement: the
   * inbox claim, the validation row, the certificates seen and the outbox row commit together or not
   * at all (every part is conditional on the claim). One round trip where a transaction took six.
   * Returns false when the event was handled before.
   */
  async recordOnce(ds: DataSource, consumer: string, eventId: string, issued: IssuedCertificate, checked: CheckedCertificate, event: CloudEvent): Promise<boolean> {
    const params = this.recordParameters(issued, checked);
    const n = params.length;
    const fresh = 'WHERE EXISTS (SELECT 1 FROM fresh)';
    const [row] = await preparedQuery<{ fresh: boolean }>(
      ds,
      `WITH fresh AS (${inboxClaimSql(n + 1, n + 2)}),
            validated AS (${VALIDATION_UPSERT.replace('/*claimed*/', fresh)}),
            seen AS (${SEEN_INSERT.replace('/*claimed*/', fresh)}),
            published AS (${outboxInsertSql(n + 3, fresh)})
       SELECT EXISTS (SELECT 1 FROM fresh) AS fresh`,
      [...params, consumer, eventId, outboxParameter([event])],
    );
    if (row.fresh) validationOutcomes.inc({ outcome: checked.outcome.status });
    return row.fresh;
  }

  /** $1…$12 of VALIDATION_UPSERT and SEEN_INSERT. */
  private recordParameters(issued: IssuedCertificate, checked: CheckedCertificate): unknown[] {
    const { outcome } = checked;
    return [
      issued.requestId,
      issued.thumbprint,
      issued.certificate,
      JSON.stringify(issued.chain),
      outcome.status,
      outcome.status === 'complete' ? JSON.stringify(outcome.path) : null,
      outcome.status === 'incomplete' ? JSON.stringify(outcome.missing) : null,
      JSON.stringify(outcome.reasons),
      outcome.status === 'incomplete' ? outcome.waitingOn : [],
      this.clock.now(),
      JSON.stringify(checked.seen),
    ];
  }
}

/** The validation row from $1…$10; `/*claimed*\/` is where `recordOnce` makes it conditional. */
const VALIDATION_UPSERT = `INSERT INTO validation (request_id, thumbprint, certificate, chain, status, path, missing, reasons, waiting_on, validated_at)
       SELECT $1::text, $2::text, $3::text, $4::jsonb, $5::text, $6::jsonb, $7::jsonb, $8::jsonb, $9::text[], $10::timestamptz /*claimed*/
       ON CONFLICT (request_id) DO UPDATE SET thumbprint = EXCLUDED.thumbprint, certificate = EXCLUDED.certificate,
         chain = EXCLUDED.chain, status = EXCLUDED.status, path = EXCLUDED.path, missing = EXCLUDED.missing,
         reasons = EXCLUDED.reasons, waiting_on = EXCLUDED.waiting_on, validated_at = EXCLUDED.validated_at`;

/** The certificates seen, from the jsonb array $11 (SeenCertificate objects), first seen at $10. */
const SEEN_INSERT = `INSERT INTO seen_certificate (thumbprint, thumbprint_sha256, pem, first_seen_at)
       SELECT c->>'thumbprint', c->>'thumbprintSha256', c->>'pem', $10::timestamptz FROM jsonb_array_elements($11::jsonb) AS c /*claimed*/
       ON CONFLICT DO NOTHING`;
