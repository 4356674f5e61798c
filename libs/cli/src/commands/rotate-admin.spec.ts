import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../exit-codes';
import { rotateAdminToken } from './rotate-admin';

function stateDirWith(token: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'certflow-rotate-'));
  if (token !== null) writeFileSync(join(dir, 'admin.token'), token + '\n', { mode: 0o600 });
  return dir;
}

function errorOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return e as CliError;
  }
  throw new Error('expected a CliError');
}

describe('rotateAdminToken', () => {
  describe('when the admin token is in the state directory', () => {
    it('replaces it with a new random token of 43 characters, mode 0600, and returns it', () => {
      const dir = stateDirWith('o'.repeat(43));
      const { path, token } = rotateAdminToken(dir, {});
      expect(path).toBe(join(dir, 'admin.token'));
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(readFileSync(path, 'utf8')).toBe(token + '\n');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(rotateAdminToken(dir, {}).token).not.toBe(token);
    });

    it('tightens a file that was readable by others', () => {
      const dir = stateDirWith('o'.repeat(43));
      require('node:fs').chmodSync(join(dir, 'admin.token'), 0o644);
      rotateAdminToken(dir, {});
      expect(statSync(join(dir, 'admin.token')).mode & 0o777).toBe(0o600);
    });
  });

  describe('when the token comes from CERTFLOW_ADMIN_TOKEN', () => {
    it('refuses, saying to change it there, and leaves the file alone', () => {
      const dir = stateDirWith('o'.repeat(43));
      const e = errorOf(() => rotateAdminToken(dir, { CERTFLOW_ADMIN_TOKEN: 'e'.repeat(30) }));
      expect(e.code).toBe('ADMIN_TOKEN_FROM_ENV');
      expect(e.line()).toContain('change CERTFLOW_ADMIN_TOKEN where the request service is configured');
      expect(readFileSync(join(dir, 'admin.token'), 'utf8')).toBe('o'.repeat(43) + '\n');
    });
  });

  describe('when there is no token file', () => {
    it('refuses rather than writing a file nobody reads', () => {
      const dir = stateDirWith(null);
      expect(errorOf(() => rotateAdminToken(dir, {})).code).toBe('ADMIN_TOKEN_FILE_MISSING');
      expect(() => statSync(join(dir, 'admin.token'))).toThrow();
    });
  });
});
