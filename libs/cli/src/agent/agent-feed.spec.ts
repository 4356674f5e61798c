import '@certflow/pki';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRootCa, issueLeaf, toPem } from '@certflow/pki';
import type { ApiClient } from '../api-client';
import { CliError, EXIT } from '../exit-codes';
import { createKey } from '../key-store';
import { cursorPath, runAgent } from './agent-feed';

/** The feed's contract in memory, with failures to inject: calls answer or throw in the order given. */
function fakeApi(events: unknown[], failures: CliError[] = []) {
  const calls: { after: string; wait: number }[] = [];
  const api = {
    url: 'http://api.test',
    async hostEvents(_host: string, after: string, wait: number) {
      calls.push({ after, wait });
      const f = failures.shift();
      if (f) throw f;
      const items = events.slice(Number(after));
      return { items, nextCursor: String(Number(after) + items.length) };
    },
  };
  return { api: api as unknown as ApiClient, calls };
}

describe('runAgent (HTTP feed)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'certflow-agent-feed-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const assignedEvent = async (host: string) => {
    const root = await createRootCa({ subject: 'CN=Feed Root' });
    const { keys } = await createKey(dir, 'ec-p256');
    const certificate = toPem(await issueLeaf({ issuer: root, publicKey: keys.publicKey, subject: `CN=${host}`, dnsNames: [host] }));
    return {
      specversion: '1.0', id: 'e-' + host, source: 'certflow/assignment', type: 'certflow.certificate.assigned.v1', time: new Date().toISOString(),
      subject: 'r1', datacontenttype: 'application/json',
      data: { requestId: 'r1', host, usages: ['Default'], thumbprint: 'AB'.repeat(20), certificate, chain: [] },
    };
  };

  it('installs what is after its cursor, passes over other types, saves the cursor, and picks up from it next time', async () => {
    const other = { specversion: '1.0', type: 'certflow.certificate.expiring.v1', data: {} };
    const events = [other, await assignedEvent('a.example.com')];
    const first = fakeApi(events);
    await runAgent(first.api, { host: 'a.example.com', dir, reload: {}, once: true });
    expect(readFileSync(join(dir, 'Default', 'cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(JSON.parse(readFileSync(cursorPath(dir), 'utf8'))).toEqual({ host: 'a.example.com', after: '2' });
    expect(JSON.parse(readFileSync(join(dir, 'Default', '.certflow.json'), 'utf8')).position).toBe(2);

    const second = fakeApi(events);
    await runAgent(second.api, { host: 'a.example.com', dir, reload: {}, once: true });
    expect(second.calls).toEqual([{ after: '2', wait: 0 }]);
  });

  it('says an expiring or expired certificate in its log, and moves on', async () => {
    const base = { specversion: '1.0', source: 'certflow/assignment', time: new Date().toISOString(), subject: 'r1', datacontenttype: 'application/json' };
    const data = { requestId: 'r1', host: 'a.example.com', thumbprint: 'AB'.repeat(20), notAfter: '2026-02-01T00:00:00.000Z', usages: ['Default'] };
    const events = [
      { ...base, id: 'x1', type: 'certflow.certificate.expiring.v1', data: { ...data, daysLeft: 7, threshold: 7 } },
      { ...base, id: 'x2', type: 'certflow.certificate.expired.v1', data },
    ];
    const log: string[] = [];
    await runAgent(fakeApi(events).api, { host: 'a.example.com', dir, reload: {}, once: true, log: (l) => log.push(l) });
    expect(log).toEqual(expect.arrayContaining([
      `certificate ${'AB'.repeat(20)} of request r1 (Default) expires in 7 days (notAfter 2026-02-01T00:00:00.000Z)`,
      `certificate ${'AB'.repeat(20)} of request r1 (Default) has EXPIRED (notAfter 2026-02-01T00:00:00.000Z)`,
    ]));
    expect(JSON.parse(readFileSync(cursorPath(dir), 'utf8')).after).toBe('2');
  });

  it('logs and retries while the API is unreachable, then carries on', async () => {
    const log: string[] = [];
    const { api, calls } = fakeApi([await assignedEvent('a.example.com')], [new CliError('cannot reach the certflow API', EXIT.UNREACHABLE, 'API_UNREACHABLE')]);
    await runAgent(api, { host: 'a.example.com', dir, reload: {}, once: true, log: (l) => log.push(l) });
    expect(log.some((l) => /cannot read the events .*retrying in 1 s/.test(l))).toBe(true);
    expect(calls.map((c) => c.after)).toEqual(['0', '0', '1']);
    expect(JSON.parse(readFileSync(cursorPath(dir), 'utf8')).after).toBe('1');
  });

  it('stops on a refused token, with the API\'s error', async () => {
    const refused = new CliError('token may only reach hosts matching x', EXIT.AUTH, 'HOST_NOT_ALLOWED');
    await expect(runAgent(fakeApi([], [refused]).api, { host: 'a.example.com', dir, reload: {}, once: true })).rejects.toBe(refused);
  });
});
