import { startStartingServer, type StartingServer } from './starting.server';
import { StartupStatus } from './startup.status';

describe('startStartingServer', () => {
  let server: StartingServer;
  const status = new StartupStatus(['nats', 'postgres']);
  beforeAll(async () => {
    server = await startStartingServer({ port: 0, host: '127.0.0.1', status });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers /healthz 200: the process is alive', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers /readyz 503 naming what the start-up waits for', async () => {
    status.waitingFor(['postgres']);
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'starting', waitingFor: ['postgres'], checks: { nats: true, postgres: false } });
  });

  it('answers every API call 503 SERVICE_UNAVAILABLE with Retry-After', async () => {
    const res = await fetch(`${server.url}/api/v1/requests`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await res.json()).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('frees the port when closed, so the app can listen on it', async () => {
    const other = await startStartingServer({ port: 0, host: '127.0.0.1', status });
    const port = Number(new URL(other.url).port);
    await other.close();
    const again = await startStartingServer({ port, host: '127.0.0.1', status });
    await again.close();
  });
});
