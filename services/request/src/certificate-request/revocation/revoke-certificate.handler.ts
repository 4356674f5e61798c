import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DATA_SOURCE, isUniqueViolation, runStatement } from '@certflow/persistence';
import { OutboxRelay, planWrites } from '@certflow/messaging';
import type { CloudEvent, RevokeCertificateView } from '@certflow/contracts';
import { normalizeThumbprint, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../http/api-error';
import type { Caller } from '../../access/auth/token.guard';
import { auditWrite } from '../../access/audit/audit.tables';
import type { RequestSnapshot } from '../domain/certificate-request.state';
import { RequestCommandService } from '../commands/request-command.service';
import { CertificateRequestRepository } from '../persistence/certificate-request.repository';
import { RenewRequestHandler } from '../renewal/renew-request.handler';
import { revocationView } from '../http/request.view';
import { parseRevokeBody, type RevokeInput } from './revoke-certificate.input';

/** Issuer name → where a revocation of its certificates is known (from CERTFLOW_ISSUERS' types). */
export const REVOCATION_TARGETS = 'REVOCATION_TARGETS';
export type RevocationTarget = RevokeCertificateView['atCa'];
export function revocationTargetOf(type: string): RevocationTarget {
  return type === 'internal' ? 'crl-ocsp' : type === 'acme' ? 'acme' : 'manual';
}

/**
 * POST /api/v1/certificates/{thumbprint}/revoke. Records the revocation on the request, the audit
 * entry and the outbox's revocation.requested in one transaction; ca-gateway revokes at the CA and
 * certificate.revoked makes the request REVOKED. Asked again, it answers with the first revocation.
 * `renew`: the renewal is started in the same transaction and the revocation held until the request
 * is SUPERSEDED — except for keyCompromise, revoked at once (the renewal still started).
 */
@Injectable()
export class RevokeCertificateHandler {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly commands: RequestCommandService,
    private readonly renewals: RenewRequestHandler,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(REVOCATION_TARGETS) private readonly targets: ReadonlyMap<string, RevocationTarget>,
  ) {}

  async execute(thumbprint: string, body: unknown, caller?: Caller): Promise<RevokeCertificateView> {
    const input = parseRevokeBody(body);
    const { sha1, requestId } = await this.find(thumbprint);
    try {
      return await this.revoke(requestId, sha1, input, caller);
    } catch (e) {
      // Another call started the same renewal first (the partial unique index): once more, it finds that one.
      if (isUniqueViolation(e)) return this.revoke(requestId, sha1, input, caller);
      throw e;
    }
  }

  private async revoke(id: string, sha1: string, input: RevokeInput, caller?: Caller): Promise<RevokeCertificateView> {
    const at = this.clock.now();
    const outcome = await this.ds.transaction(async (m) => {
      const locked = await CertificateRequestRepository.lockOne(m, id);
      if (!locked) throw notFound(sha1);
      const published: CloudEvent[] = [];
      let renewalRequestId: string | undefined;
      // A second ask changes nothing, renewal included: the first revocation stands.
      if (input.renew && !locked.request.revocation && locked.request.state !== 'REVOKED') {
        const started = await this.renewals.startIn(m, locked.request, input.csr, caller);
        if (started.created) published.push(...started.published);
        renewalRequestId = started.created ? started.request.id : started.openId;
      }
      const actor = caller?.name;
      const result = await this.commands.run(m, id, { type: 'RequestRevocation', at, reason: input.reason, ...(actor ? { actor } : {}), afterRenewal: input.renew && input.reason !== 'keyCompromise' });
      const state = result.state!;
      if (result.decision.kind === 'rejected') throw new ApiError(409, result.decision.code, result.decision.message, result.decision.details);
      if (result.decision.kind === 'accepted') {
        await audit(m, { at, actor: actor ?? 'unknown', thumbprint: sha1, requestId: id, reason: input.reason, renew: input.renew, renewalRequestId });
      }
      return { state, published, renewalRequestId, accepted: result.decision.kind === 'accepted' };
    });
    if (outcome.published.length) this.relay.publishCommitted(outcome.published);
    if (outcome.accepted) this.relay.kick();
    return this.view(outcome.state, sha1, outcome.renewalRequestId);
  }

  /** The request that has the certificate: the thumbprint in either form, any case; unknown → 404. */
  private async find(thumbprint: string): Promise<{ sha1: string; requestId: string }> {
    const t = normalizeThumbprint(thumbprint);
    if (!t) throw new ApiError(400, 'INVALID_THUMBPRINT', 'a thumbprint is 40 (SHA-1) or 64 (SHA-256) hexadecimal characters');
    let sha1 = t.value;
    if (t.kind === 'sha256') {
      const seen: { thumbprint: string }[] = await this.ds.query('SELECT thumbprint FROM seen_certificate WHERE thumbprint_sha256 = $1', [t.value]);
      if (!seen[0]) throw notFound(t.value);
      sha1 = seen[0].thumbprint;
    }
    // The same certificate under two requests is not expected; a FAILED one is the last choice.
    const rows: { id: string }[] = await this.ds.query(
      `SELECT id FROM certificate_request WHERE thumbprint = $1 ORDER BY (state = 'FAILED'), created_at DESC LIMIT 1`,
      [sha1],
    );
    if (!rows[0]) throw notFound(t.value);
    return { sha1, requestId: rows[0].id };
  }

  private view(s: RequestSnapshot, sha1: string, renewalRequestId?: string): RevokeCertificateView {
    const r = s.revocation;
    if (!r) throw new Error(`request ${s.id} has no revocation after a revoke`);
    const atCa = r.atCa ?? this.targets.get(s.issuer) ?? 'manual';
    return { requestId: s.id, thumbprint: sha1, ...revocationView(r), atCa, message: messageOf(r.state, atCa, s.issuer, renewalRequestId), ...(renewalRequestId ? { renewalRequestId } : {}) };
  }
}

function notFound(thumbprint: string): ApiError {
  return new ApiError(404, 'CERTIFICATE_NOT_FOUND', `no request of certflow has a certificate with thumbprint ${thumbprint}`);
}

/** What happens next, in the operator's words. */
function messageOf(state: 'after-renewal' | 'requested' | 'revoked', atCa: RevocationTarget, issuer: string, renewal?: string): string {
  const manual = `issuer "${issuer}" is an offline CA: certflow records the revocation and releases the bindings, but the certificate must be revoked at the CA by hand`;
  if (state === 'after-renewal') return `renewal ${renewal ?? ''} started; the certificate is revoked once the renewal has taken its bindings over${atCa === 'manual' ? `. Then: ${manual}` : ''}`.replace('  ', ' ');
  if (atCa === 'manual') return state === 'revoked' ? `recorded as revoked; ${manual}` : manual;
  const where = atCa === 'crl-ocsp' ? "certflow's CRL and OCSP responder" : 'the ACME CA (revokeCert)';
  return state === 'revoked' ? `revoked: published by ${where}; its bindings are released` : `revocation sent to ${where}; its bindings are released once it is revoked`;
}

async function audit(m: EntityManager, e: { at: Date; actor: string; thumbprint: string; requestId: string; reason: string; renew: boolean; renewalRequestId?: string }): Promise<void> {
  const write = auditWrite({
    at: e.at,
    kind: 'certificate.revocation-requested',
    actor: e.actor,
    subject: e.thumbprint,
    details: { requestId: e.requestId, reason: e.reason, renew: e.renew, ...(e.renewalRequestId ? { renewalRequestId: e.renewalRequestId } : {}) },
  });
  for (const st of planWrites([write])) await runStatement(m, st.text, st.values);
}
