import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveAdminToken } from './admin-token';

describe('resolveAdminToken', () => {
  describe('when no token is configured', () => {
    it('generates one on first start, mode 0600, and reads the same one afterwards', () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'certflow-')), 'state');
      const first = resolveAdminToken(undefined, dir);
      expect(first.token.length).toBeGreaterThanOrEqual(40);
      expect(statSync(first.path!).mode & 0o777).toBe(0o600);
      expect(readFileSync(first.path!, 'utf8').trim()).toBe(first.token);
      expect(resolveAdminToken(undefined, dir).token).toBe(first.token);
    });
  });
  describe('when a token is configured', () => {
    it('uses it and writes nothing', () => {
      expect(resolveAdminToken('x'.repeat(30), '/nonexistent/dir')).toEqual({ token: 'x'.repeat(30), path: null });
    });
  });
});
