import type { DataSource } from 'typeorm';
import { DeadLetterV1, RequestSubmittedV1, TrustUpdatedV1 } from '@certflow/contracts';
import { OutboxRelay } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { fixedClock, garbageCsr, runId, sleep, startTestService, testCsr, testDatabaseUrl, TEST_NATS_URL, type RunningService } from '@certflow/testing';
import { AppModule } from '../../../app.module';
import { loadRequestConfig } from '../../../config';
import type { Caller } from '../../../access/auth/token.guard';
import { RequestCommandService } from '../request-command.service';
import { SubmitRequestHandler } from '../submit-request/submit-request.handler';
import { SubmitBatchHandler, type BatchOutcome } from './submit-batch.handler';

jest.setTimeout(60_000);

// POST /api/v1/requests/batch below the HTTP layer, on the running service (real PostgreSQL, real
// JetStream): what each item answers, what a batch stores and what it publishes.
describe('SubmitBatchHandler (real PostgreSQL and NATS JetStream)', () => {
  const id = runId();
  const service = `request-batch-test-${id}`;
  const clock = fixedClock('2030-04-01T08:00:00Z');
  let svc: RunningService;
  let ds: DataSource;
  let batch: SubmitBatchHandler;
  let single: SubmitRequestHandler;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadRequestConfig({ DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_LOG_LEVEL: 'error' });
    svc = await startTestService({ service, databaseUrl, module: AppModule.forRoot(config, 'a'.repeat(32)), subjects: [TrustUpdatedV1.subject, DeadLetterV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    const collaborators = [ds, svc.app.get(RequestCommandService), svc.app.get(OutboxRelay), clock, ['internal', 'offline']] as [DataSource, RequestCommandService, OutboxRelay, typeof clock, string[]];
    batch = new SubmitBatchHandler(...collaborators);
    single = new SubmitRequestHandler(...collaborators);
  });
  afterAll(async () => {
    await svc?.close();
  });

  const admin: Caller = { name: 'admin', role: 'admin' };
  const newHost = (domain = 'example.com') => `batch-${runId()}.${domain}`;
  const item = async (host: string, extra: Record<string, unknown> = {}) => ({ host, csr: (await testCsr({ host })).pem, ...extra });
  const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await ds.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n);
  const rowsFor = (hosts: string[]) => count(`certificate_request WHERE host = ANY($1)`, [hosts]);
  const outboxFor = (hosts: string[]) => count(`outbox WHERE subject = $1 AND payload->'data'->>'host' = ANY($2)`, [RequestSubmittedV1.subject, hosts]);
  const shape = (o: BatchOutcome) => ('request' in o ? { index: o.index, created: o.created, host: o.request.host } : { index: o.index, status: o.status, code: o.error.code });

  describe('when items carry renewal terms', () => {
    it('stores renewBefore and rotationPolicy per item, and refuses a malformed one in its own slot', async () => {
      const [a, b] = [newHost(), newHost()];
      const outcomes = await batch.execute([await item(a, { renewBefore: 'P2W', rotationPolicy: 'Never' }), await item(b, { renewBefore: 'two weeks' })], admin);
      expect(outcomes.map(shape)).toEqual([{ index: 0, created: true, host: a }, { index: 1, status: 400, code: 'INVALID_BODY' }]);
      expect(await ds.query(`SELECT renew_before, rotation_policy FROM certificate_request WHERE host = $1`, [a])).toEqual([{ renew_before: 'P2W', rotation_policy: 'Never' }]);
      expect(await rowsFor([b])).toBe(0);
    });
  });

  describe('when one item is good, one has a damaged CSR and one names a host the token may not use', () => {
    it('stores and publishes the good one alone, and answers each item in its own slot', async () => {
      const caller: Caller = { name: 'web-ci', role: 'requester', hosts: ['*.web.example.com'] };
      const good = newHost('web.example.com');
      const damaged = newHost('web.example.com');
      const foreign = newHost('db.example.com');
      clock.set('2030-04-01T08:15:00Z');
      const outcomes = await batch.execute([await item(good, { usages: ['Default'] }), { host: damaged, csr: garbageCsr() }, await item(foreign)], caller);

      expect(outcomes.map(shape)).toEqual([
        { index: 0, created: true, host: good },
        { index: 1, status: 400, code: 'CSR_UNPARSABLE' },
        { index: 2, status: 403, code: 'HOST_NOT_ALLOWED' },
      ]);
      expect(outcomes[2]).toMatchObject({ error: { details: { hosts: ['*.web.example.com'], refused: [foreign] } } });
      const stored = outcomes[0] as Extract<BatchOutcome, { request: unknown }>;
      expect(stored.request).toMatchObject({ state: 'SUBMITTED', usages: ['Default'], createdAt: new Date('2030-04-01T08:15:00Z') });
      expect(await rowsFor([good, damaged, foreign])).toBe(1);
      expect(await count('request_history WHERE request_id = $1', [stored.request.id])).toBe(1);
      const event = await svc.log.waitFor(RequestSubmittedV1, (d) => d.requestId === stored.request.id);
      expect(event).toMatchObject({ subject: stored.request.id, time: '2030-04-01T08:15:00.000Z', data: { host: good, usages: ['Default'] } });
      await sleep(300);
      expect(svc.log.of(RequestSubmittedV1, (d) => [good, damaged, foreign].includes(d.host))).toHaveLength(1);
    });

    it('refuses a good CSR that also asks for a name outside the token, as the single route does', async () => {
      const caller: Caller = { name: 'web-ci', role: 'requester', hosts: ['*.web.example.com'] };
      const host = newHost('web.example.com');
      const csr = (await testCsr({ host, names: ['intruder.db.example.com'] })).pem;
      const [outcome] = await batch.execute([{ host, csr }], caller);
      expect(outcome).toMatchObject({ status: 403, error: { code: 'HOST_NOT_ALLOWED', details: { refused: ['intruder.db.example.com'] } } });
      expect(await rowsFor([host])).toBe(0);
    });
  });

  describe('when the same batch is sent again with the same keys', () => {
    it('answers the same requests and stores and publishes nothing twice', async () => {
      const hosts = [newHost(), newHost(), newHost()];
      const items = await Promise.all(hosts.map((h) => item(h, { idempotencyKey: `k-${h}` })));
      const first = await batch.execute(items, admin);
      clock.advance(60_000);
      const again = await batch.execute(structuredClone(items), admin);

      const ids = (os: BatchOutcome[]) => os.map((o) => ('request' in o ? o.request.id : o.error.code));
      expect(first.every((o) => 'created' in o && o.created)).toBe(true);
      expect(again.every((o) => 'created' in o && !o.created)).toBe(true);
      expect(ids(again)).toEqual(ids(first));
      expect(await rowsFor(hosts)).toBe(3);
      expect(await count('request_history WHERE request_id = ANY($1)', [ids(first)])).toBe(3);
      expect(await outboxFor(hosts)).toBe(3);
    });

    it('refuses in its slot an item whose key was used for another body (409), and still stores the rest', async () => {
      const [used, other, fresh] = [newHost(), newHost(), newHost()];
      const key = `reused-${runId()}`;
      await batch.execute([await item(used, { idempotencyKey: key })], admin);
      const outcomes = await batch.execute([await item(other, { idempotencyKey: key }), await item(fresh)], admin);
      expect(outcomes.map(shape)).toEqual([
        { index: 0, status: 409, code: 'IDEMPOTENCY_KEY_REUSED' },
        { index: 1, created: true, host: fresh },
      ]);
      expect(await rowsFor([other])).toBe(0);
    });
  });

  it('shares idempotency keys with POST /api/v1/requests: a key used there answers its request here', async () => {
    const host = newHost();
    const body = await item(host);
    const key = `single-${runId()}`;
    const { request } = await single.execute(body, key);
    const [outcome] = await batch.execute([{ ...body, idempotencyKey: key }], admin);
    expect(outcome).toMatchObject({ created: false, request: { id: request.id } });
    expect(await rowsFor([host])).toBe(1);
  });

  it('stores one request for two items of one batch with the same key and body, and refuses the same key with another body', async () => {
    const [host, other] = [newHost(), newHost()];
    const key = `twice-${runId()}`;
    const body = await item(host, { idempotencyKey: key });
    const outcomes = await batch.execute([body, { ...body }, await item(other, { idempotencyKey: key })], admin);
    expect(outcomes.map(shape)).toEqual([
      { index: 0, created: true, host },
      { index: 1, created: false, host },
      { index: 2, status: 409, code: 'IDEMPOTENCY_KEY_REUSED' },
    ]);
    expect((outcomes[1] as { request: { id: string } }).request.id).toBe((outcomes[0] as { request: { id: string } }).request.id);
    expect(await rowsFor([host, other])).toBe(1);
  });

  it('stores each key once when two batches with the same keys race', async () => {
    const hosts = [newHost(), newHost(), newHost(), newHost()];
    const items = await Promise.all(hosts.map((h) => item(h, { idempotencyKey: `race-${h}` })));
    const results = await Promise.all([batch.execute(items, admin), batch.execute(items, admin), batch.execute(items, admin)]);
    for (const [i] of hosts.entries()) {
      const answers = results.map((r) => r[i] as Extract<BatchOutcome, { request: unknown }>);
      expect(new Set(answers.map((a) => a.request.id)).size).toBe(1);
      expect(answers.filter((a) => a.created)).toHaveLength(1);
    }
    expect(await rowsFor(hosts)).toBe(4);
    expect(await outboxFor(hosts)).toBe(4);
  });

  it('stores 1000 items, the most one call takes, with a history row and an event each', async () => {
    const host = newHost();
    const csr = (await testCsr({ host })).pem;
    const items = Array.from({ length: 1000 }, (_, i) => ({ host, csr, friendlyName: `n${i}`, idempotencyKey: `${host}-${i}` }));
    const outcomes = await batch.execute(items, admin);
    expect(outcomes.filter((o) => 'created' in o && o.created)).toHaveLength(1000);
    // In item order: each slot holds its own item's request.
    expect(outcomes.map((o) => ('request' in o ? o.request.friendlyName : null))).toEqual(items.map((i) => i.friendlyName));
    const ids = outcomes.map((o) => ('request' in o ? o.request.id : ''));
    expect(await rowsFor([host])).toBe(1000);
    expect(await count('request_history WHERE request_id = ANY($1)', [ids])).toBe(1000);
    expect(await outboxFor([host])).toBe(1000);
    await svc.log.waitFor(RequestSubmittedV1, (d) => d.requestId === ids[999]);
  });

  describe('bad items store nothing and leave the others alone', () => {
    const cases: [string, string, number, (host: string, csr: string) => unknown][] = [
      ['no object', 'INVALID_BODY', 400, () => ['x']],
      ['an unknown field', 'UNKNOWN_FIELD', 400, (host, csr) => ({ host, csr, color: 'red' })],
      ['a host that is not a name', 'INVALID_HOST', 400, (_host, csr) => ({ host: 'not a host', csr })],
      ['an unknown issuer', 'UNKNOWN_ISSUER', 400, (host, csr) => ({ host, csr, issuer: 'nowhere' })],
      ['a CSR for another host', 'HOST_NOT_IN_CSR', 400, (host, csr) => ({ host: `other.${host}`, csr })],
      ['a malformed idempotency key', 'INVALID_IDEMPOTENCY_KEY', 400, (host, csr) => ({ host, csr, idempotencyKey: 'with space' })],
      ['an idempotency key that is not a string', 'INVALID_IDEMPOTENCY_KEY', 400, (host, csr) => ({ host, csr, idempotencyKey: 7 })],
    ];
    it.each(cases)('%s → %s', async (_what, code, status, bad) => {
      const [host, good] = [newHost(), newHost()];
      const outcomes = await batch.execute([bad(host, (await testCsr({ host })).pem), await item(good)], admin);
      expect(outcomes.map(shape)).toEqual([
        { index: 0, status, code },
        { index: 1, created: true, host: good },
      ]);
      expect(await rowsFor([host, `other.${host}`])).toBe(0);
    });
  });
});
