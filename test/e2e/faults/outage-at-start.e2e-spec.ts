/**
 * Issue #17, "ride out outages": the four services started while NATS and PostgreSQL are both
 * unreachable wait for them (alive, saying what they wait for, /readyz 503) and become ready once
 * they come, with no restart; and once running, a NATS or PostgreSQL outage turns /readyz 503
 * until it ends. PostgreSQL's outage is a relay the test stops and starts (the machine's server is
 * never stopped); NATS is a server of the test's own.
 */
import { opensslCsr, SERVICES, startCertflow, waitForRequest, type Certflow } from '@certflow/testing';

jest.setTimeout(180_000);

const NON_HTTP = SERVICES.filter((s) => s !== 'request');

async function readyz(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** Polls until `check` holds; fails with what the last poll saw. */
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < end) {
    try {
      last = await probe();
      if (check(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last) ?? String(lastError)}`);
}

describe('services started while NATS and PostgreSQL are down', () => {
  let cf: Certflow;
  const readyUrl = (s: (typeof SERVICES)[number]) => cf.metricsUrl(s).replace(/\/metrics$/, '/readyz');
  const waitLines = (s: (typeof SERVICES)[number], what: string) =>
    cf.processes.logsOf(s).join('').split('\n').filter((l) => l.includes(`"msg":"waiting for ${what}`));

  beforeAll(async () => {
    cf = await startCertflow({ unavailableAtStart: ['nats', 'postgres'] });
  });
  afterAll(async () => {
    await cf?.stop();
  });

  it('stay alive, say what they wait for, and answer /readyz 503 meanwhile', async () => {
    // Every service has logged that it waits for both, so each has tried at least once.
    for (const s of SERVICES) {
      await until(`${s} to say it waits`, async () => [waitLines(s, 'NATS'), waitLines(s, 'PostgreSQL')], ([n, p]) => n.length > 0 && p.length > 0, 30_000);
    }
    expect(waitLines('request', 'NATS')[0]).toMatch(new RegExp(`waiting for NATS at nats://127\\.0\\.0\\.1:${cf.nats.port} \\(connection refused\\); retrying in`));
    for (const s of SERVICES) expect(cf.pid(s)).toBeDefined();

    expect((await fetch(`${cf.baseUrl}/healthz`)).status).toBe(200);
    expect(await readyz(`${cf.baseUrl}/readyz`)).toEqual({ status: 503, body: { status: 'starting', waitingFor: ['nats', 'postgres'], checks: { nats: false, postgres: false } } });
    const api = await cf.api('/api/v1/requests');
    expect(api.status).toBe(503);
    expect(api.body.error.code).toBe('SERVICE_UNAVAILABLE');
    for (const s of NON_HTTP) expect(await readyz(readyUrl(s))).toEqual({ status: 503, body: { status: 'starting', waitingFor: ['nats', 'postgres'], checks: { nats: false, postgres: false } } });
  });

  it('still wait, for PostgreSQL alone, once NATS is up', async () => {
    await cf.startNats();
    const r = await until('request /readyz to wait for postgres alone', () => readyz(`${cf.baseUrl}/readyz`), (x) => x.body.waitingFor?.length === 1);
    expect(r).toEqual({ status: 503, body: { status: 'starting', waitingFor: ['postgres'], checks: { nats: true, postgres: false } } });
  });

  it('become ready once PostgreSQL is reachable too, with no restart, and take a request to ASSIGNED', async () => {
    await cf.postgresProxy!.start();
    await until('request /readyz 200', () => readyz(`${cf.baseUrl}/readyz`), (x) => x.status === 200, 90_000);
    for (const s of NON_HTTP) await until(`${s} /readyz 200`, () => readyz(readyUrl(s)), (x) => x.status === 200);
    for (const s of SERVICES) expect(cf.processes.pids(s)).toHaveLength(1);
    for (const s of SERVICES) expect(cf.pid(s)).toBe(cf.processes.pids(s)[0]);

    const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'late01.corp.example.com', csr: opensslCsr('late01.corp.example.com', ['late01.corp.example.com']) } });
    expect(created.status).toBe(201);
    expect((await waitForRequest(cf, created.body.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 60_000)).state).toBe('ASSIGNED');
  });

  it('logged the wait in a few lines, not one per retry', () => {
    // About 20 s of waiting at most: one line when first refused, one per 30 s after.
    for (const s of SERVICES) expect(waitLines(s, 'NATS').length).toBeLessThanOrEqual(3);
  });

  describe('when NATS goes down while they run', () => {
    it('answers /readyz 503 until it is back, then 200', async () => {
      await cf.nats.kill('SIGKILL');
      const down = await until('request /readyz 503', () => readyz(`${cf.baseUrl}/readyz`), (x) => x.status === 503);
      expect(down.body.checks).toMatchObject({ nats: false });
      for (const s of NON_HTTP) expect((await readyz(readyUrl(s))).body.checks).toMatchObject({ nats: false });
      await cf.nats.startServer();
      await until('request /readyz 200 after NATS returned', () => readyz(`${cf.baseUrl}/readyz`), (x) => x.status === 200);
      for (const s of SERVICES) expect(cf.processes.pids(s)).toHaveLength(1);
    });
  });

  describe('when PostgreSQL goes away while they run', () => {
    it('answers /readyz 503 until it is back, then 200, and requests flow again', async () => {
      await cf.postgresProxy!.stop();
      const down = await until('request /readyz 503', () => readyz(`${cf.baseUrl}/readyz`), (x) => x.status === 503);
      expect(down.body.checks).toMatchObject({ postgres: false });
      for (const s of NON_HTTP) await until(`${s} /readyz 503`, () => readyz(readyUrl(s)), (x) => x.status === 503 && x.body.checks?.postgres === false);
      await cf.postgresProxy!.start();
      await until('request /readyz 200 after PostgreSQL returned', () => readyz(`${cf.baseUrl}/readyz`), (x) => x.status === 200);
      for (const s of SERVICES) expect(cf.processes.pids(s)).toHaveLength(1);

      const created = await cf.api('/api/v1/requests', { method: 'POST', json: { host: 'after01.corp.example.com', csr: opensslCsr('after01.corp.example.com', ['after01.corp.example.com']) } });
      expect(created.status).toBe(201);
      expect((await waitForRequest(cf, created.body.id, (v) => v.state === 'ASSIGNED' || v.state === 'FAILED', 60_000)).state).toBe('ASSIGNED');
    });
  });
});
