import { ApiError } from '../../http/api-error';
import { splitBatchItem } from '../commands/submit-batch/submit-batch.item';
import { MAX_BATCH_ITEMS, parseBatchBody } from './submit-batch.dto';

const item = { host: 'a.example.com', csr: 'PEM' };
const refusal = (body: unknown) => {
  try {
    parseBatchBody(body);
  } catch (e) {
    return e instanceof ApiError ? { status: e.getStatus(), code: e.code } : e;
  }
  return 'accepted';
};

describe('parseBatchBody (the envelope of POST /api/v1/requests/batch)', () => {
  it('gives back the items as sent, unchecked: each is judged in its own slot', () => {
    const items = [item, 'not an object', { host: 1 }];
    expect(parseBatchBody({ items })).toBe(items);
  });

  it(`takes exactly ${MAX_BATCH_ITEMS} items`, () => {
    expect(parseBatchBody({ items: Array(MAX_BATCH_ITEMS).fill(item) })).toHaveLength(MAX_BATCH_ITEMS);
  });

  const cases: [string, unknown, { status: number; code: string }][] = [
    [`${MAX_BATCH_ITEMS + 1} items`, { items: Array(MAX_BATCH_ITEMS + 1).fill(item) }, { status: 400, code: 'TOO_MANY_ITEMS' }],
    ['no items', { items: [] }, { status: 400, code: 'INVALID_BODY' }],
    ['items that are not an array', { items: { 0: item } }, { status: 400, code: 'INVALID_BODY' }],
    ['no items field', {}, { status: 400, code: 'INVALID_BODY' }],
    ['an array instead of {items}', [item], { status: 400, code: 'INVALID_BODY' }],
    ['null', null, { status: 400, code: 'INVALID_BODY' }],
    ['another field beside items', { items: [item], mode: 'all-or-nothing' }, { status: 400, code: 'UNKNOWN_FIELD' }],
  ];
  it.each(cases)('refuses %s', (_what, body, expected) => {
    expect(refusal(body)).toEqual(expected);
  });
});

describe('splitBatchItem', () => {
  it('takes the idempotency key out of the body, so the body hashes as on the single route', () => {
    expect(splitBatchItem({ ...item, idempotencyKey: 'k1' })).toEqual({ body: item, key: 'k1' });
  });
  it('leaves an item without a key, or one that is not an object, as it is', () => {
    expect(splitBatchItem(item)).toEqual({ body: item, key: undefined });
    expect(splitBatchItem(['x'])).toEqual({ body: ['x'], key: undefined });
    expect(splitBatchItem(null)).toEqual({ body: null, key: undefined });
  });
});
