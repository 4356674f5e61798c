import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';

describe('atomic file writer', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'certflow-atomic-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes with the mode asked, leaves no temp file, and keeps the previous content as .prev', () => {
    const p = join(dir, 'cert.pem');
    expect(writeFileAtomic(p, 'one', { mode: 0o600, keepPrevious: true })).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('one');
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(writeFileAtomic(p, 'two', { mode: 0o600, keepPrevious: true })).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('two');
    expect(readFileSync(`${p}.prev`, 'utf8')).toBe('one');
    expect(readdirSync(dir).sort()).toEqual(['cert.pem', 'cert.pem.prev']);
  });

  it('changes nothing when the content is the same (a redelivery does not clobber .prev)', () => {
    const p = join(dir, 'cert.pem');
    writeFileAtomic(p, 'one', { keepPrevious: true });
    writeFileAtomic(p, 'two', { keepPrevious: true });
    expect(writeFileAtomic(p, 'two', { keepPrevious: true })).toBe(false);
    expect(readFileSync(`${p}.prev`, 'utf8')).toBe('one');
  });

  it('replaces a file by rename: a reader holding the old inode still reads the old content', () => {
    const p = join(dir, 'f');
    writeFileSync(p, 'old');
    const before = statSync(p).ino;
    writeFileAtomic(p, 'new');
    expect(statSync(p).ino).not.toBe(before);
    expect(readFileSync(p, 'utf8')).toBe('new');
  });

  it('fails without leaving a temp file when the directory is missing', () => {
    expect(() => writeFileAtomic(join(dir, 'nope', 'f'), 'x')).toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });
});
