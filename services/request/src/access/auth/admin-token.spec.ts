import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@certflow/runtime';
import { ADMIN_TOKEN_RECHECK_MS, AdminTokenFile, resolveAdminToken, tokenDigest } from './admin-token';

const stateDir = () => join(mkdtempSync(join(tmpdir(), 'certflow-')), 'state');
const GOOD = 'g'.repeat(40);

function withFile(token: string, mode = 0o600): { dir: string; path: string } {
  const dir = stateDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'admin.token');
  writeFileSync(path, token + '\n', { mode });
  chmodSync(path, mode);
  return { dir, path };
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

/** Replaces the file as `certflow tokens rotate-admin` does: a new file renamed over the old one. */
function rotate(path: string, token: string, mode = 0o600): void {
  writeFileSync(path + '.tmp', token + '\n', { mode });
  chmodSync(path + '.tmp', mode);
  renameSync(path + '.tmp', path);
}

describe('resolveAdminToken', () => {
  describe('when no token is configured and there is no file', () => {
    it('generates one on first start, mode 0600, and reads the same one afterwards', () => {
      const dir = stateDir();
      const first = resolveAdminToken(undefined, dir);
      const token = readFileSync(first.path!, 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(40);
      expect(statSync(first.path!).mode & 0o777).toBe(0o600);
      expect(first.source.digest()).toEqual(tokenDigest(token));
      expect(resolveAdminToken(undefined, dir).source.digest()).toEqual(tokenDigest(token));
    });
  });

  describe('when a token is configured', () => {
    it('uses it and writes nothing', () => {
      const resolved = resolveAdminToken('x'.repeat(30), '/nonexistent/dir');
      expect(resolved.path).toBeNull();
      expect(resolved.source.digest()).toEqual(tokenDigest('x'.repeat(30)));
    });
  });

  describe('when the file is unsafe', () => {
    it.each([0o640, 0o604, 0o620, 0o644, 0o666])('refuses to start on mode %o, saying the chmod to run', (mode) => {
      const { dir, path } = withFile(GOOD, mode);
      const message = problemOf(() => resolveAdminToken(undefined, dir));
      expect(message).toContain(`chmod 600 ${path}`);
      expect(message).toContain(`mode ${mode.toString(8)}`);
    });

    it('refuses a token shorter than 24 characters, saying how to write a new one', () => {
      const { dir } = withFile('x'.repeat(23));
      expect(problemOf(() => resolveAdminToken(undefined, dir))).toContain('shorter than 24 characters: run `certflow tokens rotate-admin`');
    });

    it('takes a token of exactly 24 characters in a 0400 file', () => {
      const { dir } = withFile('y'.repeat(24), 0o400);
      expect(resolveAdminToken(undefined, dir).source.digest()).toEqual(tokenDigest('y'.repeat(24)));
    });
  });
});

describe('AdminTokenFile', () => {
  describe('when the file is rotated while the service runs', () => {
    it('keeps the old token until the recheck interval has passed, then takes the new one', () => {
      const { path } = withFile(GOOD);
      let now = 1_000_000;
      const file = new AdminTokenFile(path, () => now);
      expect(file.digest()).toEqual(tokenDigest(GOOD));
      rotate(path, 'n'.repeat(40));
      now += ADMIN_TOKEN_RECHECK_MS - 1;
      expect(file.digest()).toEqual(tokenDigest(GOOD));
      now += 1;
      expect(file.digest()).toEqual(tokenDigest('n'.repeat(40)));
    });
  });

  describe('when the file turns unsafe or short after start', () => {
    it('refuses the admin token (fail closed), reports why once, and recovers when fixed', () => {
      const { path } = withFile(GOOD);
      let now = 0;
      const problems: string[] = [];
      const file = new AdminTokenFile(path, () => now, (m) => problems.push(m));
      chmodSync(path, 0o644);
      now += ADMIN_TOKEN_RECHECK_MS;
      expect(file.digest()).toBeNull();
      now += ADMIN_TOKEN_RECHECK_MS;
      expect(file.digest()).toBeNull();
      expect(problems).toEqual([expect.stringContaining(`chmod 600 ${path}`)]);
      rotate(path, 'short');
      now += ADMIN_TOKEN_RECHECK_MS;
      expect(file.digest()).toBeNull();
      rotate(path, 'f'.repeat(30));
      now += ADMIN_TOKEN_RECHECK_MS;
      expect(file.digest()).toEqual(tokenDigest('f'.repeat(30)));
      expect(problems).toHaveLength(2);
    });

    it('refuses the admin token while the file is missing', () => {
      const { path } = withFile(GOOD);
      let now = 0;
      const file = new AdminTokenFile(path, () => now);
      renameSync(path, path + '.gone');
      now += ADMIN_TOKEN_RECHECK_MS;
      expect(file.digest()).toBeNull();
    });
  });
});
