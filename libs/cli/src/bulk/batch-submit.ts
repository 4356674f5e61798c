import type { BatchResultView } from '@certflow/contracts';
import type { ApiClient, SubmitBody } from '../api-client';
import { CliError, EXIT } from '../exit-codes';

/** One host's submission, keyed so that sending it again returns the request stored the first time. */
export interface BatchItem {
  host: string;
  body: SubmitBody;
  idempotencyKey: string;
}

/** Most items the server takes in one call (POST /api/v1/requests/batch). */
export const MAX_BATCH_ITEMS = 1000;
/**
 * JSON bytes per call: half the server's default batch limit (8 MiB), room for a server set lower.
 * A call the server still finds too large (413) is split in two and sent again.
 */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Consecutive runs of at most `maxItems` items and (unless one item alone is larger) `maxBytes` bytes of JSON. */
export function chunkItems(items: readonly BatchItem[], maxItems = MAX_BATCH_ITEMS, maxBytes = MAX_BATCH_BYTES): BatchItem[][] {
  const chunks: BatchItem[][] = [];
  let current: BatchItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(wire(item))) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** An item as the batch route takes it: the single route's body and its key. */
function wire(item: BatchItem): SubmitBody & { idempotencyKey: string } {
  return { ...item.body, idempotencyKey: item.idempotencyKey };
}

export interface BatchCallbacks {
  /** Every item of a call the server answered, with its result slot. */
  answered: (answers: { item: BatchItem; result: BatchResultView }[]) => Promise<void>;
  /** The items of a call that failed as a whole (server unreachable, token refused, …). */
  failed: (items: BatchItem[], error: CliError) => Promise<void>;
}

/**
 * Sends `items` in calls of at most `batchSize`, one call after another (each is already a thousand
 * submissions; the server stores a call in one statement). Stops between calls once `stopped()`.
 */
export async function submitInBatches(api: ApiClient, items: readonly BatchItem[], batchSize: number, on: BatchCallbacks, stopped: () => boolean): Promise<void> {
  const send = async (chunk: BatchItem[]): Promise<void> => {
    try {
      const { results } = await api.submitBatch(chunk.map(wire));
      await on.answered(results.map((result) => ({ item: chunk[result.index], result })));
    } catch (e) {
      if (e instanceof CliError && e.code === 'PAYLOAD_TOO_LARGE' && chunk.length > 1) {
        const half = Math.ceil(chunk.length / 2);
        await send(chunk.slice(0, half));
        if (!stopped()) await send(chunk.slice(half));
        return;
      }
      await on.failed(chunk, e instanceof CliError ? e : new CliError((e as Error).message, EXIT.ERROR, 'ERROR'));
    }
  };
  for (const chunk of chunkItems(items, Math.min(batchSize, MAX_BATCH_ITEMS))) {
    if (stopped()) return;
    await send(chunk);
  }
}
