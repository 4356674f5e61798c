import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  CertificateLookupRequest,
  RPC,
  TrustImportRequest,
  TrustListRequest,
  TrustRemoveRequest,
  type CertificateDetails,
  type TrustImportResult,
} from '@certflow/contracts';
import { NATS_CONNECTION, RpcError, serveRpc } from '@certflow/messaging';
import type { NatsConnection, Subscription } from '@certflow/messaging';
import type { z } from 'zod';
import { CertificateLookupService } from '../../chain-validation/certificate-lookup.service';
import { TrustStoreService } from '../trust-store.service';

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
  throw new RpcError('INVALID_REQUEST', `The request is not valid: ${problems}.`, 400);
}

/** Answers the trust-store and certificate look-up questions (core NATS request/reply, queue group). */
@Injectable()
export class TrustRpcResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(TrustRpcResponder.name);
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly trustStore: TrustStoreService,
    private readonly lookup: CertificateLookupService,
  ) {}

  onApplicationBootstrap() {
    const onError = (err: unknown) => this.log.error(`RPC failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    this.subscriptions = [
      serveRpc(this.nc, RPC.trustImport, async (body): Promise<TrustImportResult> => {
        const req = parseBody(TrustImportRequest, body);
        const { imported, alreadyPresent } = await this.trustStore.import(req.store, req.pem, req.actor);
        return { imported, alreadyPresent };
      }, onError),
      serveRpc(this.nc, RPC.trustList, async (body): Promise<CertificateDetails[]> => {
        const req = parseBody(TrustListRequest, body);
        return this.trustStore.list(req.store);
      }, onError),
      serveRpc(this.nc, RPC.trustRemove, async (body): Promise<CertificateDetails> => {
        const req = parseBody(TrustRemoveRequest, body);
        return this.trustStore.remove(req.store, req.thumbprint, req.actor);
      }, onError),
      serveRpc(this.nc, RPC.certificateLookup, async (body): Promise<CertificateDetails> => {
        const req = parseBody(CertificateLookupRequest, body);
        return this.lookup.lookup(req.thumbprint);
      }, onError),
    ];
  }

  onApplicationShutdown() {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }
}
