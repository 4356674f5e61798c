/**
 * Issue #8, faults: a poison message — a well-formed event no handler can ever act on — is retried
 * with backoff, set aside on `certflow.deadletter.v1` after CERTFLOW_MAX_DELIVER deliveries, never
 * blocks the requests behind it, and shows in GET /api/v1/dead-letters.
 *
 * The services run with fewer deliveries and a shorter backoff than the defaults (10; up to 10 s),
 * which only made the test wait. Each delivery of the poison still takes about 3 s (the request
 * service first waits in-process for the fact it follows), so it is retried for about 14 s: far
 * longer than the requests behind it take, so "they finish while it is retried" is still tested.
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { ChainCompleteV1, createEvent } from '@certflow/contracts';
import { startCertflow, testCsr, waitForRequest, type Certflow } from '@certflow/testing';
import { planRequests, submitAll } from './faults.helpers';

jest.setTimeout(120_000);

const CONSUMER = 'request--certflow_chain_complete_v1';
const MAX_DELIVER = 4;
const RETRY_BACKOFF_MS = '100,500,1000';

describe('a poison message', () => {
  let cf: Certflow;
  beforeAll(async () => {
    cf = await startCertflow({ env: { CERTFLOW_MAX_DELIVER: String(MAX_DELIVER), CERTFLOW_RETRY_BACKOFF_MS: RETRY_BACKOFF_MS } });
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it(`is dead-lettered after ${MAX_DELIVER} deliveries, does not block others, and is listed by the API`, async () => {
    const started = Date.now();
    // An offline request stays PENDING until someone uploads its certificate, so a
    // chain.complete for it is "not yet" on every delivery: it can only end as a dead letter.
    const host = 'poison.faults.example.test';
    const pending = await cf.api('/api/v1/requests', { method: 'POST', json: { host, csr: (await testCsr({ host })).pem, issuer: 'offline' } });
    expect(pending.status).toBe(201);
    await waitForRequest(cf, pending.body.id, (v) => v.state === 'PENDING');

    const thumbprint = 'AB'.repeat(20);
    const poison = createEvent(ChainCompleteV1, { requestId: pending.body.id, thumbprint, path: [thumbprint] }, { source: 'certflow/faults-test', subject: pending.body.id, id: randomUUID() });
    const nc = await cf.connectNats();
    try {
      await jetstream(nc).publish(ChainCompleteV1.subject, JSON.stringify(poison), { msgID: poison.id });
    } finally {
      await nc.close();
    }

    // Requests submitted behind the poison finish while it is still being retried.
    const planned = await planRequests(30, 'poison');
    const { ids } = await submitAll(cf, planned, { concurrency: 8, deadline: Date.now() + 60_000 });
    for (const id of ids) expect((await waitForRequest(cf, id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 60_000)).state).toBe('ASSIGNED');
    const othersDoneAt = Date.now();
    expect((await cf.api(`/api/v1/dead-letters?consumer=${CONSUMER}`)).body.items).toEqual([]);

    let listed: any;
    const end = Date.now() + 60_000;
    while (Date.now() < end && !listed) {
      const page = await cf.api(`/api/v1/dead-letters?consumer=${CONSUMER}&limit=10`);
      expect(page.status).toBe(200);
      listed = page.body.items.find((d: any) => d.originalId === poison.id);
      if (!listed) await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed).toMatchObject({
      consumer: CONSUMER,
      originalSubject: ChainCompleteV1.subject,
      originalId: poison.id,
      deliveries: MAX_DELIVER,
      requestId: pending.body.id,
      payloadTruncated: false,
    });
    expect(listed.error).toContain(`still not ready after ${MAX_DELIVER} deliveries`);
    expect(JSON.parse(listed.payload)).toMatchObject({ id: poison.id, data: { requestId: pending.body.id } });
    // The request the poison named is untouched, and the fault is visible without reading logs.
    expect((await cf.api(`/api/v1/requests/${pending.body.id}`)).body.state).toBe('PENDING');
    const all = await cf.api('/api/v1/dead-letters');
    expect(all.body.items.map((d: any) => d.id)).toContain(listed.id);
    // A viewer may read them too; without a token nobody may.
    const viewer = await cf.api('/api/v1/tokens', { method: 'POST', json: { name: 'faults-viewer', role: 'viewer' } });
    expect(viewer.status).toBe(201);
    const asViewer = await cf.api(`/api/v1/dead-letters?consumer=${CONSUMER}`, { token: viewer.body.secret });
    expect([asViewer.status, asViewer.body.items?.[0]?.id]).toEqual([200, listed.id]);
    expect((await cf.api('/api/v1/dead-letters', { token: null })).status).toBe(401);
    expect((await cf.api('/api/v1/dead-letters?limit=0')).status).toBe(400);
    expect((await cf.api('/api/v1/dead-letters?cursor=nonsense')).status).toBe(400);
    process.stdout.write(
      `faults/poison: 30 requests behind the poison ASSIGNED after ${((othersDoneAt - started) / 1000).toFixed(1)} s; dead letter listed after ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });
});
