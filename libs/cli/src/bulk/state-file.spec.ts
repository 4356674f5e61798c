import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFile, defaultStatePath } from './state-file';

describe('bulk state file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'certflow-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sits next to the inventory', () => {
    expect(defaultStatePath('/x/hosts.csv')).toBe('/x/hosts.csv.certflow-state.json');
  });

  it('persists every update, so a new run sees what the last one recorded', async () => {
    const path = join(dir, 'hosts.csv.certflow-state.json');
    const a = StateFile.open(path, { inventory: 'hosts.csv', url: 'http://x' });
    await Promise.all([
      a.update('a.example.com', { idempotencyKey: 'k1', requestId: 'r1', state: 'SUBMITTED' }),
      a.update('b.example.com', { requestId: 'r2', state: 'PENDING' }),
      a.update('a.example.com', { state: 'ASSIGNED', filesWritten: true }),
    ]);
    const b = StateFile.open(path, { inventory: 'other', url: 'other' });
    expect(b.data.inventory).toBe('hosts.csv');
    expect(b.get('a.example.com')).toMatchObject({ idempotencyKey: 'k1', requestId: 'r1', state: 'ASSIGNED', filesWritten: true });
    expect(b.get('b.example.com')).toMatchObject({ requestId: 'r2', state: 'PENDING' });
    expect(JSON.parse(readFileSync(path, 'utf8')).version).toBe(1);
  });

  it('refuses a file that is not a state file', () => {
    const path = join(dir, 's.json');
    writeFileSync(path, '{oops');
    expect(() => StateFile.open(path, { inventory: 'i', url: 'u' })).toThrow(/invalid JSON/);
    writeFileSync(path, '{"version": 7}');
    expect(() => StateFile.open(path, { inventory: 'i', url: 'u' })).toThrow(/not a certflow state file/);
  });
});
