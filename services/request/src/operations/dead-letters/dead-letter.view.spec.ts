import { PAYLOAD_SHOWN_MAX, requestIdOf, toDeadLetterView } from './dead-letter.view';
import type { DeadLetterRow } from './dead-letter.orm-entity';

const row = (payload: string): DeadLetterRow => ({
  seq: '1',
  id: '3f0c1c1e-4b7e-5a8f-9c2d-0a1b2c3d4e5f',
  consumer: 'request--certflow_chain_complete_v1',
  originalSubject: 'certflow.chain.complete.v1',
  originalId: null,
  deliveries: 3,
  error: 'failed after 3 deliveries: boom',
  requestId: null,
  at: new Date('2026-01-02T03:04:05Z'),
  payload,
});

describe('dead letter view', () => {
  it('finds the request id in the original CloudEvent data', () => {
    expect(requestIdOf(JSON.stringify({ data: { requestId: 'A3F0C1C1-4B7E-4A8F-9C2D-0A1B2C3D4E5F' } }))).toBe('a3f0c1c1-4b7e-4a8f-9c2d-0a1b2c3d4e5f');
  });

  it.each([['not json', '{'], ['no data', '{}'], ['not a uuid', '{"data":{"requestId":"x"}}'], ['null', 'null']])('has no request id when the body is %s', (_l, body) => {
    expect(requestIdOf(body)).toBeUndefined();
  });

  it('shows the first 2 KiB of a long payload and says it was cut', () => {
    const v = toDeadLetterView(row('x'.repeat(PAYLOAD_SHOWN_MAX + 1)));
    expect(v.payload).toHaveLength(PAYLOAD_SHOWN_MAX);
    expect(v.payloadTruncated).toBe(true);
    expect(v).not.toHaveProperty('originalId');
    expect(v.at).toBe('2026-01-02T03:04:05.000Z');
  });

  it('shows a short payload whole', () => {
    const v = toDeadLetterView(row('{"a":1}'));
    expect(v).toMatchObject({ payload: '{"a":1}', payloadTruncated: false, deliveries: 3 });
  });
});
