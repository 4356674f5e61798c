import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createEvent, DeadLetterV1 } from '@certflow/contracts';
import { CreateMessagingTables1700000000000, FactProcessor, MESSAGING_ENTITIES } from '@certflow/messaging';
import { openServiceDataSource } from '@certflow/persistence';
import { dropDatabase, runId, testDatabaseUrl } from '@certflow/testing';
import { DeadLetters1700000004000 } from '../../migrations/1700000004000-dead-letters';
import { DeadLetterRow } from './dead-letter.orm-entity';
import { DeadLettersConsumer } from './dead-letters.consumer';
import { DeadLettersQuery } from './dead-letters.query';

jest.setTimeout(30_000);

const deadLetter = (consumer: string, requestId: string | undefined, n: number) =>
  createEvent(
    DeadLetterV1,
    {
      consumer,
      originalSubject: 'certflow.chain.complete.v1',
      originalId: randomUUID(),
      deliveries: 10,
      error: `still not ready after 10 deliveries (#${n})`,
      payload: JSON.stringify({ id: randomUUID(), data: requestId ? { requestId } : {} }),
    },
    { source: 'certflow/request', subject: requestId ?? '', id: randomUUID(), time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)) },
  );

describe('dead letters in the request service (real PostgreSQL)', () => {
  const url = testDatabaseUrl(runId());
  let ds: DataSource;
  let consumer: DeadLettersConsumer;
  let query: DeadLettersQuery;

  beforeAll(async () => {
    ds = await openServiceDataSource({ url, schema: 'request', entities: [...MESSAGING_ENTITIES, DeadLetterRow], migrations: [CreateMessagingTables1700000000000, DeadLetters1700000004000] });
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    consumer = new DeadLettersConsumer(new FactProcessor(ds, { publishCommitted() {} }, silent));
    query = new DeadLettersQuery(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(url);
  });

  it('stores each dead letter once however often it is delivered, and pages them newest first', async () => {
    const requestId = randomUUID();
    const events = [1, 2, 3].map((n) => deadLetter(n === 2 ? 'assignment--certflow_chain_complete_v1' : 'request--certflow_chain_complete_v1', n === 1 ? requestId : undefined, n));
    const deliver = (e: unknown, deliveryCount = 1) => consumer.onFacts({ deliveries: [{ payload: JSON.parse(JSON.stringify(e)), deliveryCount }] });
    for (const e of events) expect(await deliver(e)).toEqual([{ action: 'ack' }]);
    expect(await deliver(events[0], 2)).toEqual([{ action: 'ack' }]); // a redelivery

    const first = await query.list({ limit: '2' });
    expect(first.items.map((d) => d.id)).toEqual([events[2].id, events[1].id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await query.list({ limit: '2', cursor: first.nextCursor! });
    expect(second.items.map((d) => d.id)).toEqual([events[0].id]);
    expect(second.nextCursor).toBeNull();
    expect(second.items[0]).toMatchObject({ requestId, originalId: events[0].data.originalId, deliveries: 10, consumer: 'request--certflow_chain_complete_v1' });

    const one = await query.list({ consumer: 'assignment--certflow_chain_complete_v1' });
    expect(one.items.map((d) => d.id)).toEqual([events[1].id]);
    expect(one.items[0]).not.toHaveProperty('requestId');
  });

  it.each([['0'], ['501'], ['two']])('refuses limit=%s', async (limit) => {
    await expect(query.list({ limit })).rejects.toMatchObject({ code: 'INVALID_LIMIT' });
  });

  it('refuses a cursor it did not make', async () => {
    await expect(query.list({ cursor: Buffer.from('dl:x').toString('base64url') })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
