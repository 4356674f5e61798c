import type { DataSource } from 'typeorm';
import { DeadLetterV1, RequestSubmittedV1, TrustUpdatedV1 } from '@certflow/contracts';
import { OutboxRelay } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { fixedClock, garbageCsr, runId, sleep, startTestService, testCsr, testDatabaseUrl, TEST_NATS_URL, type RunningService } from '@certflow/testing';
import { AppModule } from '../../../app.module';
import { loadRequestConfig } from '../../../config';
import { RequestQueryService } from '../../http/request-query.service';
import { RequestCommandService } from '../request-command.service';
import { SubmitRequestHandler } from './submit-request.handler';

jest.setTimeout(60_000);

// POST /api/v1/requests below the HTTP layer, on the running service (real PostgreSQL, real
// JetStream): what a submission stores and what it publishes.
describe('SubmitRequestHandler (real PostgreSQL and NATS JetStream)', () => {
  const id = runId();
  const service = `request-submit-test-${id}`;
  const clock = fixedClock('2030-03-01T08:00:00Z');
  let svc: RunningService;
  let ds: DataSource;
  let handler: SubmitRequestHandler;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl(id);
    const config = loadRequestConfig({ DATABASE_URL: databaseUrl, NATS_URL: TEST_NATS_URL, CERTFLOW_DB_POOL: '4', CERTFLOW_LOG_LEVEL: 'error' });
    svc = await startTestService({ service, databaseUrl, module: AppModule.forRoot(config, 'a'.repeat(32)), subjects: [TrustUpdatedV1.subject, DeadLetterV1.subject] });
    ds = svc.app.get<DataSource>(DATA_SOURCE);
    // The service's own collaborators, with a clock the test sets.
    handler = new SubmitRequestHandler(ds, svc.app.get(RequestCommandService), svc.app.get(OutboxRelay), clock, ['internal', 'offline']);
  });
  afterAll(async () => {
    await svc?.close();
  });

  const newHost = () => `submit-${runId()}.example.com`;
  const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await ds.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n);
  const rowsFor = (host: string) => count(`certificate_request WHERE host = $1`, [host]);
  const outboxFor = (requestId: string) => count(`outbox WHERE subject = $1 AND payload->'data'->>'requestId' = $2`, [RequestSubmittedV1.subject, requestId]);

  it('stores the request with its history and publishes request.submitted once, with the submitted data', async () => {
    const host = newHost();
    const csr = await testCsr({ host, names: [`www.${host}`] });
    clock.set('2030-03-01T08:15:00Z');
    const { created, request } = await handler.execute({ host: `${host.toUpperCase()}.`, csr: csr.pem, usages: ['WebServicesExternal', 'Default'], autoAssign: false, issuer: 'offline', friendlyName: 'shop' }, undefined);
    expect(created).toBe(true);

    const view = await svc.app.get(RequestQueryService).get(request.id);
    expect(view).toMatchObject({
      host,
      state: 'SUBMITTED',
      usages: ['Default', 'WebServicesExternal'],
      autoAssign: false,
      issuer: 'offline',
      friendlyName: 'shop',
      createdAt: '2030-03-01T08:15:00.000Z',
      updatedAt: '2030-03-01T08:15:00.000Z',
      history: [{ state: 'SUBMITTED', at: '2030-03-01T08:15:00.000Z' }],
    });
    const [row] = await ds.query(`SELECT csr, idempotency_key FROM certificate_request WHERE id = $1`, [request.id]);
    expect(row).toEqual({ csr: csr.pem, idempotency_key: null });

    const event = await svc.log.waitFor(RequestSubmittedV1, (d) => d.requestId === request.id);
    expect(event.data).toEqual({ requestId: request.id, host, csr: csr.pem, usages: ['Default', 'WebServicesExternal'], autoAssign: false, issuer: 'offline', rotationPolicy: 'Always' });
    expect(event).toMatchObject({ source: 'certflow/request', subject: request.id, time: '2030-03-01T08:15:00.000Z' });
    await sleep(300);
    expect(svc.log.of(RequestSubmittedV1, (d) => d.requestId === request.id)).toHaveLength(1);
    expect(await outboxFor(request.id)).toBe(1);
  });

  it('answers a retry with the same Idempotency-Key and body with the first request, storing and publishing nothing more', async () => {
    const host = newHost();
    const body = { host, csr: (await testCsr({ host })).pem };
    const key = `key-${runId()}`;
    const first = await handler.execute(body, key);
    clock.advance(60_000);
    const again = await handler.execute({ ...body }, key);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, request: { id: first.request.id, createdAt: first.request.createdAt } });
    expect(await rowsFor(host)).toBe(1);

    await svc.log.waitFor(RequestSubmittedV1, (d) => d.requestId === first.request.id);
    await sleep(300);
    expect(svc.log.of(RequestSubmittedV1, (d) => d.host === host)).toHaveLength(1);
  });

  it('stores one request when two submissions with one key race', async () => {
    const host = newHost();
    const body = { host, csr: (await testCsr({ host })).pem };
    const key = `race-${runId()}`;
    const results = await Promise.all([handler.execute(body, key), handler.execute(body, key), handler.execute(body, key)]);
    expect(new Set(results.map((r) => r.request.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await rowsFor(host)).toBe(1);
  });

  it('keeps renewBefore and rotationPolicy, shows them, and sends them on with request.submitted', async () => {
    const host = newHost();
    const { request } = await handler.execute({ host, csr: (await testCsr({ host })).pem, renewBefore: 'P20D', rotationPolicy: 'Never' }, undefined);
    expect(await svc.app.get(RequestQueryService).get(request.id)).toMatchObject({ renewBefore: 'P20D', rotationPolicy: 'Never' });
    const event = await svc.log.waitFor(RequestSubmittedV1, (d) => d.requestId === request.id);
    expect(event.data).toMatchObject({ renewBefore: 'P20D', rotationPolicy: 'Never' });
    await expect(handler.execute({ host, csr: 'x', renewBefore: 'P1M' }, undefined)).rejects.toMatchObject({ code: 'INVALID_BODY', response: { error: { message: expect.stringContaining('ISO 8601 duration') } } });
  });

  it('refuses another body under a used Idempotency-Key (409 IDEMPOTENCY_KEY_REUSED) and stores nothing', async () => {
    const host = newHost();
    const key = `reuse-${runId()}`;
    await handler.execute({ host, csr: (await testCsr({ host })).pem }, key);
    const other = newHost();
    await expect(handler.execute({ host: other, csr: (await testCsr({ host: other })).pem }, key)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 409 });
    expect(await rowsFor(other)).toBe(0);
  });

  describe('bad input stores and publishes nothing', () => {
    const cases: [string, string, (host: string, csr: string) => unknown][] = [
      ['no object', 'INVALID_BODY', () => ['x']],
      ['an unknown field', 'UNKNOWN_FIELD', (host, csr) => ({ host, csr, color: 'red' })],
      ['a host that is not a name', 'INVALID_HOST', (_host, csr) => ({ host: 'not a host', csr })],
      ['no CSR', 'CSR_MISSING', (host) => ({ host, csr: ' ' })],
      ['an unknown usage', 'UNKNOWN_USAGE', (host, csr) => ({ host, csr, usages: ['Mail'] })],
      ['an unknown issuer', 'UNKNOWN_ISSUER', (host, csr) => ({ host, csr, issuer: 'nowhere' })],
      ['a damaged CSR', 'CSR_UNPARSABLE', (host) => ({ host, csr: garbageCsr() })],
      ['a CSR for another host', 'HOST_NOT_IN_CSR', (host, csr) => ({ host: `other.${host}`, csr })],
      ['a renewBefore that is not an ISO duration', 'INVALID_BODY', (host, csr) => ({ host, csr, renewBefore: '30 days' })],
      ['a renewBefore in months (no fixed length)', 'INVALID_BODY', (host, csr) => ({ host, csr, renewBefore: 'P1M' })],
      ['an unknown rotationPolicy', 'INVALID_BODY', (host, csr) => ({ host, csr, rotationPolicy: 'Sometimes' })],
    ];
    it.each(cases)('%s → %s', async (_what, code, body) => {
      const host = newHost();
      const csr = (await testCsr({ host })).pem;
      const requestsBefore = await count('certificate_request');
      const outboxBefore = await count('outbox');
      await expect(handler.execute(body(host, csr), `bad-${runId()}`)).rejects.toMatchObject({ code });
      expect(await count('certificate_request')).toBe(requestsBefore);
      expect(await count('request_history')).toBe(await count('certificate_request'));
      expect(await count('outbox')).toBe(outboxBefore);
    });

    it('a malformed Idempotency-Key → INVALID_IDEMPOTENCY_KEY', async () => {
      const host = newHost();
      const before = await count('certificate_request');
      await expect(handler.execute({ host, csr: (await testCsr({ host })).pem }, 'with space')).rejects.toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY' });
      expect(await count('certificate_request')).toBe(before);
    });
  });
});
