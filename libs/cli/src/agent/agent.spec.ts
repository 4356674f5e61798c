import '@certflow/pki';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIntermediateCa, createRootCa, issueLeaf, toPem } from '@certflow/pki';
import { createKey } from '../key-store';
import { installableChain, installAssignment } from './agent';
import { cursorPath, readCursor } from './agent-feed';
import { writeFileSync } from 'node:fs';

describe('agent installation', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'certflow-agent-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads its saved cursor for its own host only, and starts from the first event otherwise', () => {
    expect(readCursor(dir, 'a.example.com')).toBe('0');
    writeFileSync(cursorPath(dir), JSON.stringify({ host: 'a.example.com', after: '12' }));
    expect(readCursor(dir, 'a.example.com')).toBe('12');
    expect(readCursor(dir, 'b.example.com')).toBe('0');
    writeFileSync(cursorPath(dir), 'not json');
    expect(readCursor(dir, 'a.example.com')).toBe('0');
  });

  it('writes cert, chain (without the root), fullchain and the matching key per usage; keeps *.prev; skips older events', async () => {
    const root = await createRootCa({ subject: 'CN=Agent Test Root' });
    const inter = await createIntermediateCa({ subject: 'CN=Agent Test Issuing', issuer: root, pathLength: 0 });
    const { keys } = await createKey(dir, 'ec-p256');
    const leaf = (n: string) => issueLeaf({ issuer: inter, publicKey: keys.publicKey, subject: `CN=${n}`, dnsNames: [n] }).then(toPem);
    const [c1, c2] = [await leaf('a.example.com'), await leaf('a.example.com')];
    const chain = [toPem(inter.certificate), toPem(root.certificate)];
    expect(installableChain(c1, [c1, ...chain])).toEqual([toPem(inter.certificate).replace(/\n?$/, '\n')]);

    const log: string[] = [];
    const o = { host: 'a.example.com', dir, reload: {}, log: (l: string) => log.push(l) };
    const data = (certificate: string) => ({ requestId: 'r', host: 'a.example.com', usages: ['Default', 'WebServicesInternal'] as const, thumbprint: 'T', certificate, chain });
    expect(await installAssignment(o, 10, { ...data(c1), usages: ['Default', 'WebServicesInternal'] })).toEqual(['Default', 'WebServicesInternal']);
    const d = join(dir, 'Default');
    expect(readFileSync(join(d, 'cert.pem'), 'utf8')).toBe(c1.endsWith('\n') ? c1 : c1 + '\n');
    expect(readFileSync(join(d, 'fullchain.pem'), 'utf8')).toContain(readFileSync(join(d, 'chain.pem'), 'utf8'));
    expect(statSync(join(d, 'privkey.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(d, 'privkey.pem'), 'utf8')).toBe(readFileSync(join(dir, 'key.pem'), 'utf8'));

    expect(await installAssignment(o, 11, { ...data(c2), usages: ['Default'] })).toEqual(['Default']);
    expect(readFileSync(join(d, 'cert.pem.prev'), 'utf8')).toBe(readFileSync(join(dir, 'WebServicesInternal', 'cert.pem'), 'utf8'));
    // A redelivered or older event changes nothing.
    expect(await installAssignment(o, 10, { ...data(c1), usages: ['Default'] })).toEqual([]);
    expect(readFileSync(join(d, 'cert.pem'), 'utf8')).toContain(c2.trim());
    expect(existsSync(join(dir, 'WebServicesExternal'))).toBe(false);
  });

  it('runs the reload command with the usage and thumbprint in its environment', async () => {
    const root = await createRootCa({ subject: 'CN=Agent Reload Root' });
    const { keys } = await createKey(dir, 'ec-p256');
    const cert = toPem(await issueLeaf({ issuer: root, publicKey: keys.publicKey, subject: 'CN=b.example.com', dnsNames: ['b.example.com'] }));
    const marker = join(dir, 'reloaded');
    await installAssignment(
      { host: 'b.example.com', dir, reload: { WebServicesExternal: `echo "$CERTFLOW_USAGE $CERTFLOW_THUMBPRINT" >> ${marker}` }, reloadAll: `echo "all $CERTFLOW_USAGE" >> ${marker}` },
      1,
      { requestId: 'r', host: 'b.example.com', usages: ['Default', 'WebServicesExternal'], thumbprint: 'ABC', certificate: cert, chain: [] },
    );
    expect(readFileSync(marker, 'utf8').trim().split('\n').sort()).toEqual(['WebServicesExternal ABC', 'all Default']);
  });
});
