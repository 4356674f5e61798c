import type { DataSource } from 'typeorm';

/** Rows re-validated at once; below the default pool size (10) so consumers still get connections. */
const REVALIDATION_CONCURRENCY = 6;

/**
 * Runs `each` for every validation row matching `where` (SQL over `validation`, its parameters from
 * $2 on), in pages of `pageSize` by request id, a few rows at once. Each row is expected to be its
 * own transaction: a few at once keeps the database and the CPU busy while each waits on the other,
 * without taking every connection of the pool. Used after an import (RevalidationService) and after
 * a removal (BrokenChainService).
 */
export async function forEachValidationRow(
  ds: DataSource,
  query: { where: string; params: unknown[] },
  pageSize: number,
  each: (requestId: string) => Promise<void>,
): Promise<void> {
  let after = '';
  const last = query.params.length + 2;
  for (;;) {
    const page: { request_id: string }[] = await ds.query(
      `SELECT request_id FROM validation WHERE ${query.where} AND request_id > $1 ORDER BY request_id LIMIT $${last}`,
      [after, ...query.params, pageSize],
    );
    if (page.length === 0) return;
    let next = 0;
    const worker = async () => {
      while (next < page.length) await each(page[next++].request_id);
    };
    await Promise.all(Array.from({ length: REVALIDATION_CONCURRENCY }, worker));
    after = page[page.length - 1].request_id;
  }
}
