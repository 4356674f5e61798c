import type { BatchResultView } from '@certflow/contracts';
import type { ApiClient } from '../api-client';
import { CliError, EXIT } from '../exit-codes';
import { chunkItems, submitInBatches, type BatchItem } from './batch-submit';

const item = (n: number, csrBytes = 10): BatchItem => ({ host: `h${n}.example.com`, idempotencyKey: `k${n}`, body: { host: `h${n}.example.com`, csr: 'x'.repeat(csrBytes) } });
const hosts = (chunks: BatchItem[][]) => chunks.map((c) => c.map((i) => i.host));

describe('chunkItems', () => {
  it('cuts at the item limit, in order', () => {
    expect(chunkItems([1, 2, 3, 4, 5].map((n) => item(n)), 2).map((c) => c.length)).toEqual([2, 2, 1]);
    expect(hosts(chunkItems([1, 2, 3].map((n) => item(n)), 2))).toEqual([['h1.example.com', 'h2.example.com'], ['h3.example.com']]);
  });

  it('cuts at the byte limit, and still sends an item larger than the limit alone', () => {
    const size = Buffer.byteLength(JSON.stringify({ ...item(1, 1000).body, idempotencyKey: 'k1' })) + 1;
    expect(chunkItems([1, 2, 3].map((n) => item(n, 1000)), 1000, size * 2).map((c) => c.length)).toEqual([2, 1]);
    expect(chunkItems([item(1, 5000), item(2)], 1000, 100).map((c) => c.length)).toEqual([1, 1]);
  });

  it('makes no call for no items', () => {
    expect(chunkItems([])).toEqual([]);
  });
});

describe('submitInBatches', () => {
  const answer = (items: { idempotencyKey?: string }[]): { results: BatchResultView[] } => ({ results: items.map((_, index) => ({ index, status: 201, request: { id: `r${index}` } as never })) });

  it('splits a call the server finds too large (413) in two and sends each half', async () => {
    const calls: number[] = [];
    const api = {
      submitBatch: async (items: unknown[]) => {
        calls.push(items.length);
        if (items.length > 2) throw new CliError('too large', EXIT.ERROR, 'PAYLOAD_TOO_LARGE');
        return answer(items as never);
      },
    } as unknown as ApiClient;
    const answered: string[] = [];
    await submitInBatches(api, [1, 2, 3, 4, 5].map((n) => item(n)), 1000, { answered: async (a) => void answered.push(...a.map((x) => x.item.host)), failed: async () => fail('no call should fail') }, () => false);
    expect(calls).toEqual([5, 3, 2, 1, 2]);
    expect(answered).toEqual([1, 2, 3, 4, 5].map((n) => `h${n}.example.com`));
  });

  it('hands the items of a call that failed as a whole to `failed`, and goes on with the next call', async () => {
    let n = 0;
    const api = {
      submitBatch: async (items: unknown[]) => {
        if (n++ === 0) throw new CliError('cannot reach', EXIT.UNREACHABLE, 'API_UNREACHABLE');
        return answer(items as never);
      },
    } as unknown as ApiClient;
    const failed: string[] = [];
    const answered: string[] = [];
    await submitInBatches(api, [1, 2, 3].map((n) => item(n)), 2, { answered: async (a) => void answered.push(...a.map((x) => x.item.host)), failed: async (items, e) => void failed.push(...items.map((i) => `${i.host} ${e.code}`)) }, () => false);
    expect(failed).toEqual(['h1.example.com API_UNREACHABLE', 'h2.example.com API_UNREACHABLE']);
    expect(answered).toEqual(['h3.example.com']);
  });
});
