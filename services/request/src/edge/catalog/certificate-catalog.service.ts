import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { NATS_CONNECTION, callRpc, insertRow, RpcError, type Write } from '@certflow/messaging';
import { RPC, type CertificateDetails } from '@certflow/contracts';
import { BoundedCache, certificateDetails, normalizeThumbprint, parseCertificate, pemThumbprints } from '@certflow/pki';
import type { NatsConnection } from '@certflow/messaging';
import { ApiError } from '../../http/api-error';
import { hostAllowed, patternsRegex } from '../../access/auth/host-pattern';
import { SeenCertificateRow } from './seen-certificate.orm-entity';
import { SEEN_CERTIFICATE } from './catalog.tables';

/**
 * "View Certificate Details" for any certificate certflow has seen: those a CA returned (kept
 * here) and those in the trust stores (asked of trust-validation).
 */
@Injectable()
export class CertificateCatalogService {
  /** Parsed details by PEM; parsing is the expensive part of a RequestView. */
  private readonly cache = new BoundedCache<string, CertificateDetails>(10_000);
  /** Thumbprints by PEM: every certificate a CA returns comes with the same few CA certificates. */
  private readonly named = new BoundedCache<string, { sha1: string; sha256: string }>(1_000);

  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource, @Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  /** The writes that record a certificate and its chain (each kept once), for the caller's transaction. */
  rememberWrites(pems: readonly string[], at: Date): Write[] {
    // Named from the DER: building full certificate objects here cost more than the rest of the handler.
    return pems.map((pem) => {
      const { sha1, sha256 } = this.thumbprints(pem);
      return insertRow(SEEN_CERTIFICATE, { thumbprint: sha1, thumbprintSha256: sha256, pem, firstSeen: at }, { ifExists: 'skip' });
    });
  }

  /** Decoding the DER to know it is a certificate was half of naming a chain, which hardly ever changes. */
  private thumbprints(pem: string): { sha1: string; sha256: string } {
    return this.named.getOrSet(pem, () => pemThumbprints(pem));
  }

  details(pem: string): CertificateDetails {
    return this.cache.getOrSet(pem, () => certificateDetails(parseCertificate(pem)));
  }

  /**
   * Details by thumbprint. `access.scope` (requester, agent): leaves of its hosts' requests and the
   * CA certificates on their validated paths (what `certflow` needs to write chain.pem); any other
   * CA certificate (a trust store's) only when `access.caCertificates`. Whatever is outside answers
   * 404 as a missing certificate does, so thumbprints cannot be probed.
   */
  async lookup(thumbprint: string, access: { scope: readonly string[] | null; caCertificates: boolean } = { scope: null, caCertificates: true }): Promise<CertificateDetails> {
    const t = normalizeThumbprint(thumbprint);
    if (!t) throw new ApiError(400, 'INVALID_THUMBPRINT', 'a thumbprint is 40 (SHA-1) or 64 (SHA-256) hexadecimal characters');
    const notFound = () => new ApiError(404, 'CERTIFICATE_NOT_FOUND', `certflow has not seen a certificate with thumbprint ${t.value}`);
    const repo = this.ds.getRepository(SeenCertificateRow);
    const row = await repo.findOne({ where: t.kind === 'sha1' ? { thumbprint: t.value } : { thumbprintSha256: t.value } });
    const sha1 = row?.thumbprint ?? (t.kind === 'sha1' ? t.value : null);
    if (access.scope !== null && !(sha1 && (await this.reachable(sha1, access.scope, access.caCertificates)))) throw notFound();
    if (row) return this.details(row.pem);
    try {
      return await callRpc<CertificateDetails>(this.nc, RPC.certificateLookup, { thumbprint: t.value }, 3000);
    } catch (e) {
      if (e instanceof RpcError && e.status === 404) throw notFound();
      throw e;
    }
  }

  /** A leaf: when a request of one of `scope`'s hosts has it. Else (a CA certificate): when `cas`, or on such a request's validated path. */
  private async reachable(sha1: string, scope: readonly string[], cas: boolean): Promise<boolean> {
    const rows: { host: string }[] = await this.ds.query('SELECT host FROM certificate_request WHERE thumbprint = $1', [sha1]);
    if (rows.length > 0) return rows.some((r) => hostAllowed(scope, r.host));
    if (cas) return true;
    const re = patternsRegex(scope);
    if (re === null) return false;
    const onPath: unknown[] = await this.ds.query(
      `SELECT 1 FROM certificate_request WHERE lower(host) ~ $2 AND validation->'path' ? $1 LIMIT 1`,
      [sha1, re],
    );
    return onPath.length > 0;
  }
}
