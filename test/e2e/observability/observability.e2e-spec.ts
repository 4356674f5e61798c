import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { opensslCsr, SERVICES, startCertflow, type Certflow } from '../harness';

jest.setTimeout(120_000);

/** Polls the request's state in its own table, so no other HTTP call is about it. */
async function waitForState(cf: Certflow, id: string, states: string[], timeoutMs = 20_000): Promise<string> {
  const pg = new Client({ connectionString: cf.databaseUrl });
  await pg.connect();
  try {
    const end = Date.now() + timeoutMs;
    let state = '';
    while (Date.now() < end) {
      state = (await pg.query('SELECT state FROM request.certificate_request WHERE id = $1', [id])).rows[0]?.state ?? '';
      if (states.includes(state)) return state;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`request ${id} is ${state || 'missing'}, not ${states.join('/')}\n${cf.dumpLogs()}`);
  } finally {
    await pg.end();
  }
}

/** One sample's value from Prometheus text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('observability across the four services (real PostgreSQL and NATS)', () => {
  let cf: Certflow;
  let requestId: string;
  const correlationId = `obs-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    cf = await startCertflow({ env: { CERTFLOW_LOG_LEVEL: 'debug' } });
    const created = await cf.api('/api/v1/requests', {
      method: 'POST',
      headers: { 'X-Request-Id': correlationId },
      json: { host: 'obs01.corp.example.com', csr: opensslCsr('obs01.corp.example.com', ['obs01.corp.example.com']) },
    });
    expect({ status: created.status, body: created.body }).toMatchObject({ status: 201 });
    expect(created.headers.get('x-request-id')).toBe(correlationId);
    requestId = created.body.id;
    expect(await waitForState(cf, requestId, ['ASSIGNED', 'FAILED'])).toBe('ASSIGNED');
    // The last consumer's "event handled" line follows its ack; give the logs a moment to arrive.
    await new Promise((r) => setTimeout(r, 500));
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('answers a new correlation id when the caller sends none, and replaces one that is not a sane token', async () => {
    const none = await cf.api('/api/v1/requests/counts');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await cf.api('/api/v1/requests/counts', { headers: { 'X-Request-Id': 'a b {"x":1}' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each(SERVICES)('%s: every line is JSON, and every line about the request names it and the HTTP call', (service) => {
    const lines = cf.logs.get(service)!.join('').split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`${service} wrote a line that is not JSON: ${l.slice(0, 300)}`);
      }
    });
    // About the request: names it anywhere (a field, a message) or was written while handling it.
    const about = parsed.filter((p, i) => p.requestId === requestId || lines[i].includes(requestId));
    expect(about.length).toBeGreaterThan(0);
    const wrong = about.filter((p) => p.requestId !== requestId || p.correlationId !== correlationId);
    expect(wrong.map((p) => JSON.stringify(p).slice(0, 300))).toEqual([]);
    // Each handled event is on one line with its own event id.
    expect(about.some((p) => p.msg === 'event handled' && typeof p.eventId === 'string')).toBe(true);
  });

  it('request: logs the submit call itself with the id it created', () => {
    const lines = cf.logs.get('request')!.join('').split('\n').filter((l) => l.includes('"http call served"'));
    const submit = lines.map((l) => JSON.parse(l)).find((p) => p.correlationId === correlationId);
    expect(submit).toMatchObject({ method: 'POST', route: '/api/v1/requests', status: 201, requestId });
  });

  it('serves /metrics on each service, with the numbers this request produced', async () => {
    const text = async (name: (typeof SERVICES)[number]) => {
      const res = await fetch(cf.metricsUrl(name));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    const request = await text('request');
    expect(sample(request, 'certflow_requests', { state: 'ASSIGNED', service: 'request' })).toBe(1);
    expect(sample(request, 'certflow_requests', { state: 'FAILED' })).toBe(0);
    expect(sample(request, 'certflow_request_state_seconds_count', { from: 'SUBMITTED', to: 'ISSUED' })).toBe(1);
    expect(sample(request, 'certflow_request_state_seconds_count', { from: 'ASSIGNABLE', to: 'ASSIGNED' })).toBe(1);
    expect(sample(request, 'certflow_http_request_seconds_count', { method: 'POST', route: '/api/v1/requests', status: '201' })).toBe(1);
    expect(sample(request, 'certflow_outbox_pending', {})).toBe(0);
    expect(request).toMatch(/^process_cpu_seconds_total\{service="request"\} /m);

    const ca = await text('ca-gateway');
    expect(sample(ca, 'certflow_ca_request_seconds_count', { issuer: 'internal', adapter: 'internal', call: 'issue', outcome: 'issued' })).toBe(1);
    expect(sample(ca, 'certflow_jetstream_deliveries_total', { consumer: 'ca-gateway--certflow_request_submitted_v1', redelivered: 'false' })).toBe(1);

    const trust = await text('trust-validation');
    expect(sample(trust, 'certflow_validation_outcomes_total', { outcome: 'complete' })).toBe(1);
    expect(sample(trust, 'certflow_validation_outcomes_total', { outcome: 'invalid' })).toBeUndefined();

    const assignment = await text('assignment');
    expect(assignment).toMatch(/^certflow_outbox_published_total\{service="assignment"\} [1-9]/m);
    expect(assignment).toMatch(/^# TYPE certflow_jetstream_redeliveries_total counter$/m);
  });

  it('answers /readyz and /healthz on the metrics port of each service without HTTP', async () => {
    for (const name of SERVICES.filter((s) => s !== 'request')) {
      const base = cf.metricsUrl(name).replace(/\/metrics$/, '');
      const ready = await fetch(`${base}/readyz`);
      expect({ name, status: ready.status, body: await ready.json() }).toEqual({ name, status: 200, body: { status: 'ready', checks: { postgres: true, nats: true } } });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/nothing`)).status).toBe(404);
    }
  });

  // Last: its own call about the request, with its own correlation id.
  it('request: a call on /api/v1/requests/:id logs that id and its own correlation id', async () => {
    const call = `obs-get-${randomBytes(4).toString('hex')}`;
    expect((await cf.api(`/api/v1/requests/${requestId}`, { headers: { 'X-Request-Id': call } })).status).toBe(200);
    const end = Date.now() + 5_000;
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() < end) {
      line = cf.logs.get('request')!.join('').split('\n').filter((l) => l.includes(call)).map((l) => JSON.parse(l)).find((p) => p.msg === 'http call served');
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    expect(line).toMatchObject({ method: 'GET', route: '/api/v1/requests/:id', status: 200, requestId, correlationId: call });
  });
});
