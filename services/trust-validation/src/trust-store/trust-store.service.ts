import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  createEvent,
  TrustUpdatedV1,
  type CloudEvent,
  type CertificateDetails,
  type TrustImportResult,
  type TrustStoreName,
} from '@certflow/contracts';
import { enqueue, OutboxRelay, RpcError } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import {
  certificateDetails,
  isPkiInputError,
  normalizeThumbprint,
  parseCertificate,
  parseCertificates,
  subjectKeyIdentifier,
  subjectOf,
  thumbprintSha1,
  thumbprintSha256,
  toPem,
  type Clock,
  type X509Certificate,
} from '@certflow/pki';
import type { DataSource, EntityManager } from 'typeorm';
import { CLOCK } from '@certflow/runtime';
import { EVENT_SOURCE } from '../chain-validation/validation-outcome';
import { TRUST_VALIDATION_CONFIG, type TrustValidationConfig } from '../config';
import { TrustAuditRow } from './persistence/trust-audit.orm-entity';
import { TrustedCertificateRow } from './persistence/trusted-certificate.orm-entity';
import { TrustStoreCache } from './trust-store.cache';
import { checkFitsStore, checkUsableAsCa, checkUsableOnPaths } from './trust-store.rules';

/** Most certificates one import may carry unless CERTFLOW_TRUST_IMPORT_MAX_CERTIFICATES says otherwise. */
export const IMPORT_LIMIT = 50;

/**
 * What an import changed: the certificates newly added, for whoever acts after the commit, and the
 * trust.updated events that announce them, for the caller to put in the same transaction's outbox.
 */
export interface ImportOutcome extends TrustImportResult {
  added: X509Certificate[];
  events: CloudEvent[];
}

/**
 * The root and intermediate stores: import (all-or-nothing per call), list, remove. Every change is
 * audited and announced (certflow.trust.updated.v1) in the same transaction.
 */
@Injectable()
export class TrustStoreService {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly cache: TrustStoreCache,
    private readonly relay: OutboxRelay,
    @Optional() @Inject(TRUST_VALIDATION_CONFIG) private readonly config?: Pick<TrustValidationConfig, 'CERTFLOW_TRUST_IMPORT_MAX_CERTIFICATES'>,
  ) {}

  /** Imports PEM text into `store`. Refuses the whole call if any certificate does not belong there. */
  async import(store: TrustStoreName, pemText: string, actor: string): Promise<ImportOutcome> {
    const certs = await this.checkImport(store, pemText);
    const outcome = await this.ds.transaction(async (m) => {
      const imported = await this.importChecked(m, store, certs, actor);
      await enqueue(m, ...imported.events);
      return imported;
    });
    this.afterChange(outcome.added.length > 0);
    return outcome;
  }

  /**
   * Parses and checks an import; throws RpcError 400 naming every certificate that is damaged
   * (CERTIFICATE_UNPARSABLE), does not fit the store, or could be on no valid path
   * (CA_CERTIFICATE_UNUSABLE), or TOO_MANY_CERTIFICATES when the text carries more
   * than the limit (counted before parsing any).
   */
  async checkImport(store: TrustStoreName, pemText: string): Promise<X509Certificate[]> {
    let certs: X509Certificate[];
    try {
      certs = parseCertificates(pemText, this.config?.CERTFLOW_TRUST_IMPORT_MAX_CERTIFICATES ?? IMPORT_LIMIT);
    } catch (err) {
      if (isPkiInputError(err)) throw new RpcError(err.code, err.message, 400);
      throw err;
    }
    // A damaged certificate is reported as damaged only: what else it seems to be cannot be trusted.
    const refusals = (
      await Promise.all(certs.map(async (c, i) => checkUsableOnPaths(c, i + 1) ?? (await checkFitsStore(c, store)) ?? checkUsableAsCa(c, i + 1, store)))
    ).filter((r) => r !== null);
    if (refusals.length > 0) {
      const message = refusals.length === 1 ? refusals[0].message : `Nothing was imported. ${refusals.map((r) => r.message).join(' ')}`;
      throw new RpcError(refusals[0].code, message, 400, { refused: refusals });
    }
    return certs;
  }

  /**
   * Stores checked certificates in the caller's transaction; already present ones are left as they
   * are. The events it returns are the caller's to put in that transaction's outbox.
   */
  async importChecked(m: EntityManager, store: TrustStoreName, certs: X509Certificate[], actor: string): Promise<ImportOutcome> {
    const outcome: ImportOutcome = { imported: [], alreadyPresent: [], added: [], events: [] };
    const at = this.clock.now();
    for (const cert of certs) {
      const thumbprint = thumbprintSha1(cert);
      if (outcome.imported.includes(thumbprint) || outcome.alreadyPresent.includes(thumbprint)) continue;
      const subject = subjectOf(cert);
      const inserted: { thumbprint: string }[] = await m.query(
        `INSERT INTO trusted_certificate (thumbprint, thumbprint_sha256, store, subject, subject_key_id, pem, added_at, added_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING thumbprint`,
        [thumbprint, thumbprintSha256(cert), store, subject, subjectKeyIdentifier(cert), toPem(cert), at, actor],
      );
      if (inserted.length === 0) {
        outcome.alreadyPresent.push(thumbprint);
        continue;
      }
      await m.getRepository(TrustAuditRow).insert({ at, actor, action: 'imported', store, thumbprint, subject });
      outcome.events.push(this.trustUpdated(store, 'imported', thumbprint, subject, actor, at));
      outcome.imported.push(thumbprint);
      outcome.added.push(cert);
    }
    return outcome;
  }

  async list(store: TrustStoreName): Promise<CertificateDetails[]> {
    const rows = await this.ds.getRepository(TrustedCertificateRow).find({ where: { store }, order: { subject: 'ASC', thumbprint: 'ASC' } });
    return rows.map((r) => certificateDetails(parseCertificate(r.pem)));
  }

  /** Removes a certificate (SHA-1 or SHA-256 thumbprint, any case) from `store`; 404 when it is not there. */
  async remove(store: TrustStoreName, thumbprintText: string, actor: string): Promise<CertificateDetails> {
    const thumbprint = normalizeThumbprint(thumbprintText);
    if (!thumbprint) {
      throw new RpcError('INVALID_THUMBPRINT', 'A thumbprint is 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.', 400);
    }
    const column = thumbprint.kind === 'sha1' ? 'thumbprint' : 'thumbprint_sha256';
    const removed = await this.ds.transaction(async (m) => {
      const rows: TrustedCertificateRow[] = await m.query(
        `DELETE FROM trusted_certificate WHERE store = $1 AND ${column} = $2 RETURNING thumbprint, subject, pem`,
        [store, thumbprint.value],
      );
      // pg returns [rows, count] for DELETE … RETURNING through TypeORM's query(); accept both shapes.
      const row = (Array.isArray(rows[0]) ? (rows[0] as unknown as TrustedCertificateRow[]) : rows)[0];
      if (!row) return null;
      const at = this.clock.now();
      await m.getRepository(TrustAuditRow).insert({ at, actor, action: 'removed', store, thumbprint: row.thumbprint, subject: row.subject });
      await enqueue(m, this.trustUpdated(store, 'removed', row.thumbprint, row.subject, actor, at));
      return row;
    });
    if (!removed) {
      throw new RpcError('NOT_FOUND', `No certificate with thumbprint ${thumbprint.value} is in the ${store} store.`, 404);
    }
    this.afterChange(true);
    return certificateDetails(parseCertificate(removed.pem));
  }

  /** After a commit: this instance validates against the new stores at once; the relay sends the events. */
  afterChange(changed: boolean): void {
    if (!changed) return;
    this.cache.invalidate();
    this.relay.kick();
  }

  private trustUpdated(store: TrustStoreName, action: 'imported' | 'removed', thumbprint: string, subject: string, actor: string, at: Date) {
    return createEvent(TrustUpdatedV1, { store, action, thumbprint, subject, actor }, { source: EVENT_SOURCE, subject: thumbprint, time: at });
  }
}
