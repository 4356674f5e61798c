import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, isUniqueViolation } from '@certflow/persistence';
import { OutboxRelay } from '@certflow/messaging';
import { checkCsr, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../../http/api-error';
import type { RequestSnapshot } from '../../domain/certificate-request.state';
import { CertificateRequestRow } from '../../persistence/certificate-request.orm-entity';
import { toSnapshot } from '../../persistence/certificate-request.mapper';
import { RequestCommandService } from '../request-command.service';
import { checkIdempotencyKey, parseSubmitInput } from './submit-request.input';

export const ISSUERS = 'ISSUERS';

/**
 * POST /api/v1/requests. Checks everything before storing anything; the request row, its history
 * and `request.submitted` commit together. With an Idempotency-Key, a retry returns the first
 * request (200) and a different body under the same key is a 409.
 */
@Injectable()
export class SubmitRequestHandler {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly commands: RequestCommandService,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ISSUERS) private readonly issuers: string[],
  ) {}

  async execute(body: unknown, idempotencyKey: string | undefined): Promise<{ created: boolean; request: RequestSnapshot }> {
    checkIdempotencyKey(idempotencyKey);
    const bodyHash = createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
    if (idempotencyKey) {
      const earlier = await this.byKey(idempotencyKey, bodyHash);
      if (earlier) return { created: false, request: earlier };
    }
    const input = parseSubmitInput(body, this.issuers);
    await checkCsr(input.csr, input.host);
    try {
      // Without a transaction of ours, submit writes the request, its history and its event in one of its own.
      const { request, published } = await this.commands.submit(this.ds.manager, { type: 'Submit', at: this.clock.now(), id: randomUUID(), ...input }, { idempotencyKey: idempotencyKey ?? null, bodyHash });
      this.relay.publishCommitted(published);
      return { created: true, request };
    } catch (e) {
      // Two retries with the same key raced; the loser answers with the winner's request.
      if (idempotencyKey && isUniqueViolation(e)) {
        const earlier = await this.byKey(idempotencyKey, bodyHash);
        if (earlier) return { created: false, request: earlier };
      }
      throw e;
    }
  }

  private async byKey(key: string, bodyHash: string): Promise<RequestSnapshot | null> {
    const row = await this.ds.getRepository(CertificateRequestRow).findOne({ where: { idempotencyKey: key } });
    if (!row) return null;
    if (row.bodyHash !== bodyHash) {
      throw new ApiError(409, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different body; use a new key for a new request');
    }
    return toSnapshot(row);
  }
}
