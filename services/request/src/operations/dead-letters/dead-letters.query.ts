import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { ApiError } from '../../http/api-error';
import { DeadLetterRow } from './dead-letter.orm-entity';
import { toDeadLetterView, type DeadLetterView } from './dead-letter.view';
import { requireSingleValues } from '../../http/query-params';

/** Pages of dead letters, newest first, optionally of one consumer. */
@Injectable()
export class DeadLettersQuery {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async list(q: { consumer?: string; limit?: string; cursor?: string }): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
    requireSingleValues(q);
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ApiError(400, 'INVALID_LIMIT', 'limit must be a whole number from 1 to 500');
    const qb = this.ds.getRepository(DeadLetterRow).createQueryBuilder('d');
    if (q.consumer) qb.andWhere('d.consumer = :consumer', { consumer: q.consumer });
    if (q.cursor) qb.andWhere('d.seq < :seq', { seq: decodeCursor(q.cursor) });
    const rows = await qb.orderBy('d.seq', 'DESC').limit(limit + 1).getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toDeadLetterView), nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
  }
}

function encodeCursor(seq: string): string {
  return Buffer.from(`dl:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const m = /^dl:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ApiError(400, 'INVALID_CURSOR', 'cursor must be the nextCursor of a previous page');
  return m[1];
}
