import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { In, type DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import type { ErrorBody } from '@certflow/contracts';
import { OutboxRelay } from '@certflow/messaging';
import { checkCsr, PkiInputError, type Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../../http/api-error';
import { hostNotAllowed, hostScopeOf, type Caller } from '../../../access/auth/token.guard';
import { hostAllowed } from '../../../access/auth/host-pattern';
import type { RequestSnapshot } from '../../domain/certificate-request.state';
import { CertificateRequestRow } from '../../persistence/certificate-request.orm-entity';
import { toSnapshot } from '../../persistence/certificate-request.mapper';
import { RequestCommandService } from '../request-command.service';
import { ISSUERS } from '../submit-request/submit-request.handler';
import { checkIdempotencyKey, parseSubmitInput, type SubmitInput } from '../submit-request/submit-request.input';
import { splitBatchItem } from './submit-batch.item';

/** A refused item: the status and error body POST /api/v1/requests would have answered it alone. */
export interface ItemRefusal {
  status: number;
  error: ErrorBody['error'];
}

/** What became of one item: stored now (`created`), the earlier request of its key, or refused. */
export type BatchOutcome = { index: number; created: boolean; request: RequestSnapshot } | ({ index: number } & ItemRefusal);

interface Pending {
  index: number;
  key: string | null;
  bodyHash: string;
  input?: SubmitInput;
  outcome?: BatchOutcome;
}

/**
 * POST /api/v1/requests/batch. Each item gets what POST /api/v1/requests would answer it alone: the
 * same checks, the same host scope, the same idempotency (the key travels in the item; its body hash
 * is that of the item without the key, so a key used on either route means the same on the other).
 * A refused item stores nothing and the others go on. Every accepted item is stored by one statement
 * (requests, history, outbox rows each in one multi-row insert), and the events are published once
 * it has committed.
 */
@Injectable()
export class SubmitBatchHandler {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly commands: RequestCommandService,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ISSUERS) private readonly issuers: string[],
  ) {}

  async execute(items: unknown[], caller: Caller | undefined): Promise<BatchOutcome[]> {
    const scope = hostScopeOf(caller);
    const pending: Pending[] = items.map((item, index) => {
      const { body, key } = splitBatchItem(item);
      const slot: Pending = { index, key: typeof key === 'string' ? key : null, bodyHash: createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex') };
      try {
        checkIdempotencyKey(key);
        // As the guard does for the single route: the host named is judged before anything else.
        const host = (body as { host?: unknown } | null)?.host;
        if (scope && typeof host === 'string' && !hostAllowed(scope, host)) throw hostNotAllowed(caller!, [host]);
      } catch (e) {
        slot.outcome = { index, ...refusal(e) };
      }
      return slot;
    });

    await this.replays(pending.filter((p) => !p.outcome && p.key), scope && caller ? { scope, caller } : null);
    await Promise.all(pending.filter((p) => !p.outcome).map((p) => this.check(p, items[p.index], scope, caller)));
    this.sameKeyInBatch(pending);

    const fresh = pending.filter((p) => !p.outcome && p.input);
    const at = this.clock.now();
    const { requests, stored, published } = await this.commands.submitMany(
      this.ds.manager,
      fresh.map((p) => ({ command: { type: 'Submit', at, id: randomUUID(), ...p.input! }, extra: { idempotencyKey: p.key, bodyHash: p.bodyHash } })),
    );
    this.relay.publishCommitted(published);
    fresh.forEach((p, i) => {
      if (stored[i]) p.outcome = { index: p.index, created: true, request: requests[i] };
    });
    // Another call stored one of these keys between our read and our write, or an earlier item of
    // this batch did: answer with that request.
    await this.replays(pending.filter((p) => !p.outcome), null);
    for (const p of pending) {
      if (!p.outcome) throw new Error(`batch item ${p.index} has no outcome`);
    }
    return pending.map((p) => p.outcome!);
  }

  /**
   * The requests stored before under these items' keys, in one query: the same body is a replay,
   * another a 409. With `scoped`, a replay is answered only if the token may ask for every name of
   * its CSR, as the guard of the single route checks before anything else.
   */
  private async replays(slots: Pending[], scoped: { scope: readonly string[]; caller: Caller } | null): Promise<void> {
    if (slots.length === 0) return;
    const rows = await this.ds.getRepository(CertificateRequestRow).find({ where: { idempotencyKey: In(slots.map((p) => p.key!)) } });
    const byKey = new Map(rows.map((r) => [r.idempotencyKey!, r]));
    for (const p of slots) {
      const row = byKey.get(p.key!);
      if (!row) continue;
      if (row.bodyHash !== p.bodyHash) {
        p.outcome = { index: p.index, ...refusal(new ApiError(409, 'IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used with a different body; use a new key for a new request')) };
        continue;
      }
      const request = toSnapshot(row);
      p.outcome = { index: p.index, created: false, request };
      if (scoped) {
        const outside = (await checkCsr(request.csr, request.host)).names.filter((n) => !hostAllowed(scoped.scope, n));
        if (outside.length) p.outcome = { index: p.index, ...refusal(hostNotAllowed(scoped.caller, outside)) };
      }
    }
  }

  /** The single route's checks: the body's shape, the CSR, and (host-scoped caller) every name the CSR asks for. */
  private async check(p: Pending, item: unknown, scope: readonly string[] | null, caller: Caller | undefined): Promise<void> {
    try {
      const input = parseSubmitInput(splitBatchItem(item).body, this.issuers);
      const csr = await checkCsr(input.csr, input.host);
      const outside = scope ? csr.names.filter((n) => !hostAllowed(scope, n)) : [];
      if (outside.length) throw hostNotAllowed(caller!, outside);
      p.input = input;
    } catch (e) {
      p.outcome = { index: p.index, ...refusal(e) };
    }
  }

  /**
   * Two items with one key: the first is submitted; a later one with the same body answers with the
   * first's request once stored (it is then a replay), one with another body is a 409 as on retry.
   */
  private sameKeyInBatch(pending: Pending[]): void {
    const first = new Map<string, Pending>();
    for (const p of pending) {
      if (!p.key || p.outcome || !p.input) continue;
      const earlier = first.get(p.key);
      if (!earlier) {
        first.set(p.key, p);
        continue;
      }
      // Left without input: stored nothing, and the replay read after the insert finds the first's row.
      p.input = undefined;
      if (earlier.bodyHash !== p.bodyHash) {
        p.outcome = { index: p.index, ...refusal(new ApiError(409, 'IDEMPOTENCY_KEY_REUSED', `this idempotency key is used by item ${earlier.index} with a different body; use a new key for a new request`)) };
      }
    }
  }
}

/** An item's refusal as the error filter answers the single route; anything else is a bug and fails the call. */
function refusal(e: unknown): ItemRefusal {
  if (e instanceof ApiError) return { status: e.getStatus(), error: (e.getResponse() as ErrorBody).error };
  if (e instanceof PkiInputError) return { status: 400, error: { code: e.code, message: e.message } };
  throw e;
}
