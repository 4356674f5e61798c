import { counter } from './metric.factory';
import { DEFAULT_METRICS_PORTS, metricsListenOf } from './metrics.config';
import { startMetricsServer } from './metrics.server';
import { BaseConfigSchema, loadConfig } from '../config';
import { StartupStatus } from '../startup/startup.status';

describe('startMetricsServer', () => {
  let checks = { postgres: true, nats: true };
  let server: Awaited<ReturnType<typeof startMetricsServer>>;
  beforeAll(async () => {
    server = await startMetricsServer({ port: 0, ready: async () => checks });
  });
  afterAll(() => server.close());

  it('serves the process registry at /metrics in the Prometheus text format', async () => {
    const c = counter({ name: 'certflow_test_things_total', help: 'things', labelNames: ['kind'] as const });
    c.inc({ kind: 'a' }, 3);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toMatch(/^certflow_test_things_total\{kind="a"\} 3$/m);
  });

  it('is ready only while every dependency answers, naming the one that does not', async () => {
    checks = { postgres: true, nats: true };
    let res = await fetch(`${server.url}/readyz`);
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { status: 'ready', checks } });
    checks = { postgres: false, nats: true };
    res = await fetch(`${server.url}/readyz`);
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 503, body: { status: 'not ready', checks: { postgres: false, nats: true } } });
  });

  it('answers 503 with what the start-up waits for while the service is starting, without asking the checks', async () => {
    const status = new StartupStatus(['nats', 'postgres']);
    status.waitingFor(['nats']);
    const starting = await startMetricsServer({ port: 0, ready: () => Promise.reject(new Error('not asked while starting')), starting: () => status.report() });
    try {
      const res = await fetch(`${starting.url}/readyz`);
      expect({ status: res.status, body: await res.json() }).toEqual({
        status: 503,
        body: { status: 'starting', waitingFor: ['nats'], checks: { nats: false, postgres: true } },
      });
    } finally {
      await starting.close();
    }
  });

  it('answers /healthz, and 404 / 405 for anything else', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/requests`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('CERTFLOW_METRICS_PORT', () => {
  it('defaults per service, 0 turns it off, and a set value wins', () => {
    expect(metricsListenOf('ca-gateway', {})).toEqual({ port: DEFAULT_METRICS_PORTS['ca-gateway'], host: '127.0.0.1' });
    expect(metricsListenOf('request', {}).port).toBe(0);
    expect(metricsListenOf('assignment', { CERTFLOW_METRICS_PORT: '0' }).port).toBe(0);
    expect(metricsListenOf('assignment', { CERTFLOW_METRICS_PORT: '19466', CERTFLOW_METRICS_HOST: '0.0.0.0' })).toEqual({ port: 19466, host: '0.0.0.0' });
  });

  it('is refused at start when it is not a port, saying what is valid', () => {
    expect(() => loadConfig(BaseConfigSchema, { CERTFLOW_METRICS_PORT: '70000' })).toThrow(/CERTFLOW_METRICS_PORT: must be a TCP port \(1-65535\), or 0/);
    expect(() => loadConfig(BaseConfigSchema, { CERTFLOW_METRICS_PORT: 'nine' })).toThrow(/CERTFLOW_METRICS_PORT/);
  });
});
