import '@certflow/pki';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRootCa, issueLeaf, toPem } from '@certflow/pki';
import type { ApiClient } from '../api-client';
import { createKey } from '../key-store';
import { REMOVED_ON_RELEASE } from './agent';
import { runAgent } from './agent-feed';

/** The host feed in memory: the events given, from the cursor asked. */
function feed(events: unknown[]): ApiClient {
  return {
    url: 'http://api.test',
    async hostEvents(_host: string, after: string) {
      const items = events.slice(Number(after));
      return { items, nextCursor: String(Number(after) + items.length) };
    },
  } as unknown as ApiClient;
}

const T1 = 'A1'.repeat(20);
const T2 = 'B2'.repeat(20);
const base = { specversion: '1.0', source: 'certflow/assignment', time: '2026-01-01T00:00:00.000Z', datacontenttype: 'application/json' };

describe('agent: a released certificate (revoked, untrusted)', () => {
  let dir: string;
  let certs: Record<string, string>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certflow-agent-release-'));
    const root = await createRootCa({ subject: 'CN=Release Root' });
    const { keys } = await createKey(dir, 'ec-p256');
    const leaf = async () => toPem(await issueLeaf({ issuer: root, publicKey: keys.publicKey, subject: 'CN=a.example.com', dnsNames: ['a.example.com'] }));
    certs = { [T1]: await leaf(), [T2]: await leaf() };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const assigned = (id: string, thumbprint: string, usages: string[], host = 'a.example.com') => ({
    ...base, id, type: 'certflow.certificate.assigned.v1', subject: id,
    data: { requestId: id, host, usages, thumbprint, certificate: certs[thumbprint], chain: [] },
  });
  const unassigned = (id: string, thumbprint: string, usages: string[], reason: string, host = 'a.example.com') => ({
    ...base, id: `u-${id}-${reason}`, type: 'certflow.certificate.unassigned.v1', subject: id,
    data: { requestId: id, host, usages, thumbprint, reason, remaining: [] },
  });
  const usageDir = (u: string) => join(dir, u);
  const files = (u: string) => REMOVED_ON_RELEASE.filter((f) => existsSync(join(usageDir(u), f)));

  it('removes cert, chain, fullchain and privkey of the released usages, keeps *.prev, runs the reload once per usage', async () => {
    const reloaded = join(dir, 'reloaded');
    writeFileSync(join(dir, 'x'), ''); // a file of the operator's in the agent's directory stays
    const events = [
      assigned('r1', T1, ['Default', 'WebServicesInternal']),
      assigned('r2', T2, ['Default', 'WebServicesInternal']), // r1's files become *.prev
      unassigned('r2', T2, ['Default'], 'revoked'),
    ];
    const log: string[] = [];
    await runAgent(feed(events), { host: 'a.example.com', dir, reload: {}, reloadAll: `echo "$CERTFLOW_USAGE $CERTFLOW_RELEASED $CERTFLOW_THUMBPRINT" >> ${reloaded}`, once: true, log: (l) => log.push(l) });

    expect(files('Default')).toEqual([]);
    expect(readFileSync(join(usageDir('Default'), 'cert.pem.prev'), 'utf8')).toContain(certs[T1].trim().split('\n')[1]);
    expect(existsSync(join(usageDir('Default'), 'fullchain.pem.prev'))).toBe(true);
    expect(files('WebServicesInternal')).toEqual([...REMOVED_ON_RELEASE]); // not released: untouched
    expect(existsSync(join(dir, 'x'))).toBe(true);
    const lines = readFileSync(reloaded, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.includes('revoked'))).toEqual([`Default revoked ${T2}`]);
    expect(log.some((l) => l.startsWith(`removed ${T2} (revoked) for Default`))).toBe(true);
    expect(JSON.parse(readFileSync(join(usageDir('Default'), '.certflow.json'), 'utf8'))).toMatchObject({ position: 3, thumbprint: T2, removed: { reason: 'revoked' } });
  });

  it('an untrusted release removes too; a replaced one, another host\'s, or a certificate the usage no longer holds removes nothing', async () => {
    const events = [
      assigned('r1', T1, ['Default']),
      unassigned('r1', T1, ['Default'], 'replaced'),
      unassigned('r1', T1, ['Default'], 'revoked', 'b.example.com'),
      assigned('r2', T2, ['Default', 'WebServicesExternal']),
      unassigned('r1', T1, ['Default'], 'revoked'), // Default holds T2 now
      unassigned('r2', T2, ['WebServicesExternal'], 'untrusted'),
    ];
    await runAgent(feed(events), { host: 'a.example.com', dir, reload: {}, once: true });
    expect(files('Default')).toEqual([...REMOVED_ON_RELEASE]);
    expect(readFileSync(join(usageDir('Default'), 'cert.pem'), 'utf8')).toBe(certs[T2].endsWith('\n') ? certs[T2] : certs[T2] + '\n');
    expect(files('WebServicesExternal')).toEqual([]);
  });

  it('a replay from an old cursor neither reinstalls the revoked certificate nor removes a newer one', async () => {
    const events = [
      assigned('r1', T1, ['Default']),
      unassigned('r1', T1, ['Default'], 'revoked'),
    ];
    await runAgent(feed(events), { host: 'a.example.com', dir, reload: {}, once: true });
    expect(files('Default')).toEqual([]);
    // The cursor file is lost: the whole feed comes again.
    rmSync(join(dir, '.certflow-cursor.json'));
    await runAgent(feed(events), { host: 'a.example.com', dir, reload: {}, once: true });
    expect(files('Default')).toEqual([]);

    // A later assignment installs again; replaying the old release afterwards removes nothing.
    const more = [...events, assigned('r2', T2, ['Default'])];
    await runAgent(feed(more), { host: 'a.example.com', dir, reload: {}, once: true });
    expect(files('Default')).toEqual([...REMOVED_ON_RELEASE]);
    rmSync(join(dir, '.certflow-cursor.json'));
    await runAgent(feed(more), { host: 'a.example.com', dir, reload: {}, once: true });
    expect(readFileSync(join(usageDir('Default'), 'cert.pem'), 'utf8')).toContain(certs[T2].trim().split('\n')[1]);
  });
});
