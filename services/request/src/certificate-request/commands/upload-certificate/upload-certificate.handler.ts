import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { OutboxRelay } from '@certflow/messaging';
import { checkCsr, isPkiInputError, parseCertificate, parseCertificates, type Clock, type X509Certificate } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../../http/api-error';
import type { RejectionCode, RequestSnapshot } from '../../domain/certificate-request.state';
import { RequestCommandService } from '../request-command.service';

export const OFFLINE_ISSUERS = 'OFFLINE_ISSUERS';

/**
 * Most certificates an uploaded chain may carry: a CA returns its intermediates (rarely more than
 * three); more than this is a whole store pasted by mistake, or an attempt to make validation work.
 */
export const MAX_UPLOADED_CHAIN = 10;

/** A refused upload: 400 when the certificate is wrong, 409 (the default) when the request does not take one. */
const STATUS: Partial<Record<RejectionCode, number>> = { KEY_MISMATCH: 400, CERTIFICATE_NAMES_MISMATCH: 400 };

/**
 * POST /api/v1/requests/{id}/certificate: the certificate an offline CA returned. Parsed here; the
 * decider's UploadCertificate says whether the request takes it (a certificate carrying the CSR's
 * public key, for exactly the CSR's names) and, if so, it goes to ca-gateway, which brings it into
 * the flow as `certificate.issued`, exactly as a CA's answer. A refused upload changes nothing.
 */
@Injectable()
export class UploadCertificateHandler {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OFFLINE_ISSUERS) private readonly offlineIssuers: string[],
    private readonly commands: RequestCommandService,
  ) {}

  async execute(id: string, body: unknown, actor: string): Promise<RequestSnapshot> {
    const { certificate, chain } = parseBody(body);
    const leaf = parseCertificate(certificate);
    const chainCerts = chain ? parseChain(chain) : [];
    const { decision, state } = await this.ds.transaction((m) =>
      this.commands.runWith(m, id, async (r) => ({
        type: 'UploadCertificate',
        at: this.clock.now(),
        by: actor,
        offlineIssuers: this.offlineIssuers,
        // Checked when the request was submitted; read again here because the decider does not parse.
        csr: await checkCsr(r.csr, r.host),
        leaf,
        chain: chainCerts,
      })),
    );
    if (!state) throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id}`);
    if (decision.kind === 'rejected') throw new ApiError(STATUS[decision.code] ?? 409, decision.code, decision.message, decision.details);
    this.relay.kick();
    return state;
  }
}

function chainTooLong(count: number | string): ApiError {
  return new ApiError(400, 'TOO_MANY_CERTIFICATES', `the chain holds ${count} certificates; at most ${MAX_UPLOADED_CHAIN} are accepted: send the intermediates the CA returned, not the leaf's whole trust store`);
}

function parseChain(chain: string): X509Certificate[] {
  try {
    return parseCertificates(chain, MAX_UPLOADED_CHAIN);
  } catch (error) {
    if (isPkiInputError(error) && error.code === 'TOO_MANY_CERTIFICATES') throw chainTooLong(/holds (\d+)/.exec(error.message)?.[1] ?? 'too many');
    throw error;
  }
}

function parseBody(body: unknown): { certificate: string; chain: string | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'INVALID_BODY', 'send {"certificate": "-----BEGIN CERTIFICATE-----...", "chain": "<PEM, optional>"}');
  }
  const b = body as { certificate?: unknown; chain?: unknown };
  if (typeof b.certificate !== 'string' || !b.certificate.trim()) {
    throw new ApiError(400, 'CERTIFICATE_MISSING', '`certificate` must be the PEM certificate the CA returned');
  }
  let chain: string | null = null;
  if (typeof b.chain === 'string') chain = b.chain.trim() ? b.chain : null;
  else if (Array.isArray(b.chain) && b.chain.every((c) => typeof c === 'string')) {
    if (b.chain.length > MAX_UPLOADED_CHAIN) throw chainTooLong(b.chain.length);
    chain = b.chain.length ? b.chain.join('\n') : null;
  } else if (b.chain !== undefined && b.chain !== null) throw new ApiError(400, 'INVALID_BODY', '`chain` must be PEM text or an array of PEM certificates');
  return { certificate: b.certificate, chain };
}
