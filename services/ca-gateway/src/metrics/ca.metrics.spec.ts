import { register } from 'prom-client';
import { caRequestSeconds, timeCaCall } from './ca.metrics';

async function count(labels: Record<string, string>): Promise<number | undefined> {
  const line = (await register.metrics())
    .split('\n')
    .find((l) => l.startsWith('certflow_ca_request_seconds_count{') && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('timeCaCall', () => {
  beforeEach(() => caRequestSeconds.reset());
  const labels = { issuer: 'corp', adapter: 'acme', call: 'issue' as const };

  it('records each call under the kind of what the CA answered, and returns it unchanged', async () => {
    const answer = { kind: 'pending', detail: 'order created' };
    expect(await timeCaCall(labels, async () => answer)).toBe(answer);
    await timeCaCall(labels, async () => ({ kind: 'issued' }));
    await timeCaCall(labels, async () => ({ kind: 'issued' }));
    expect(await count({ ...labels, outcome: 'pending' })).toBe(1);
    expect(await count({ ...labels, outcome: 'issued' })).toBe(2);
  });

  it('records a throw as outcome="error" and rethrows it', async () => {
    const unreachable = new Error('ECONNREFUSED');
    await expect(timeCaCall(labels, async () => Promise.reject(unreachable))).rejects.toBe(unreachable);
    expect(await count({ ...labels, outcome: 'error' })).toBe(1);
  });
});
