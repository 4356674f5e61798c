import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { PkiCrlRequest, PkiOcspRequest, RPC, type PkiCrlResult, type PkiOcspResult, type RevocationReason } from '@certflow/contracts';
import { NATS_CONNECTION, RpcError, serveRpc, type NatsConnection, type Subscription } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import type { z } from 'zod';
import { CrlStore } from './crl.store';
import { InternalSigners } from './internal-signers';
import { answerOcsp, type SerialStatus } from './ocsp.responder';

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new RpcError('INVALID_REQUEST', `The request is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}.`, 400);
}

/**
 * Answers `pki.crl` and `pki.ocsp` for the internal issuers: only ca-gateway holds their keys, so
 * the request service's public /pki routes ask here. Any instance answers (queue group): the CRL is
 * read from PostgreSQL, OCSP is signed from the revocation rows, so all instances agree.
 */
@Injectable()
export class PkiRpcResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(PkiRpcResponder.name);
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly signers: InternalSigners,
    private readonly crls: CrlStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const onError = (err: unknown) => this.log.error(`RPC failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    this.subscriptions = [
      serveRpc(this.nc, RPC.pkiCrl, async (body): Promise<PkiCrlResult> => {
        const { issuer } = parseBody(PkiCrlRequest, body);
        this.signerOf(issuer);
        const crl = await this.crls.current((t, v) => this.ds.query(t, v), issuer);
        if (!crl) throw new RpcError('CRL_NOT_READY', `issuer "${issuer}" has no CRL yet; try again in a few seconds`, 503);
        return { der: crl.der.toString('base64'), nextUpdate: crl.nextUpdate.toISOString() };
      }, onError),
      serveRpc(this.nc, RPC.pkiOcsp, async (body): Promise<PkiOcspResult> => {
        const { issuer, request } = parseBody(PkiOcspRequest, body);
        return { der: (await this.ocsp(issuer, Buffer.from(request, 'base64'))).toString('base64') };
      }, onError),
    ];
  }

  onApplicationShutdown(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }

  /** The signed OCSPResponse for `request` (DER). */
  async ocsp(issuer: string, request: Buffer): Promise<Buffer> {
    const ca = this.signerOf(issuer);
    const crl = await this.crls.current((t, v) => this.ds.query(t, v), issuer);
    const answer = await answerOcsp({ ca, request, now: this.clock.now(), nextUpdate: crl?.nextUpdate, statuses: (serials) => this.statuses(issuer, serials) });
    return answer.der;
  }

  private signerOf(issuer: string) {
    const ca = this.signers.get(issuer);
    if (!ca) throw new RpcError('ISSUER_NOT_FOUND', `"${issuer}" is not an internal issuer of this certflow: it publishes no CRL or OCSP`, 404);
    return ca;
  }

  private async statuses(issuer: string, serials: string[]): Promise<Map<string, SerialStatus>> {
    const out = new Map<string, SerialStatus>();
    if (serials.length === 0) return out;
    const issued = await this.ds.query<{ serial: string }[]>('SELECT serial FROM issued_serial WHERE issuer = $1 AND serial = ANY ($2)', [issuer, serials]);
    for (const r of issued) out.set(r.serial, { kind: 'good' });
    const revoked = await this.ds.query<{ serial: string; reason: RevocationReason; revoked_at: Date }[]>(
      `SELECT serial, reason, revoked_at FROM revocation WHERE issuer = $1 AND at_ca = 'crl-ocsp' AND serial = ANY ($2)`,
      [issuer, serials],
    );
    for (const r of revoked) out.set(r.serial, { kind: 'revoked', reason: r.reason, revokedAt: new Date(r.revoked_at) });
    return out;
  }
}
