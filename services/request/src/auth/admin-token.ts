import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The admin token: CERTFLOW_ADMIN_TOKEN when set, otherwise read from <stateDir>/admin.token, which
 * is generated (mode 0600, directory 0700) on first start. Returns the token and where it lives.
 */
export function resolveAdminToken(configured: string | undefined, stateDir: string): { token: string; path: string | null } {
  if (configured) return { token: configured, path: null };
  const dir = resolve(stateDir);
  const path = join(dir, 'admin.token');
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 24) return { token, path };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // 'wx' so two processes starting together cannot both write; the loser reads the winner's token.
  try {
    writeFileSync(path, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return { token: readFileSync(path, 'utf8').trim(), path };
  }
  chmodSync(path, 0o600);
  return { token, path };
}
