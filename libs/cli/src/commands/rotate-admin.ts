import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-file';
import { CliError, EXIT } from '../exit-codes';

/** The request service's token file in its state directory (services/request/src/access/auth/admin-token.ts). */
const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * Writes a new random admin token into `<stateDir>/admin.token`: a new file (mode 0600) renamed over
 * the old one, so the request service, which re-reads the file when it changes, never sees half a
 * token; the old token stops working within a couple of seconds. Returns the file and the token.
 * @throws CliError `ADMIN_TOKEN_FROM_ENV` when CERTFLOW_ADMIN_TOKEN is set (the file is not used
 * then), `ADMIN_TOKEN_FILE_MISSING` when there is no file to replace.
 */
export function rotateAdminToken(stateDir: string, env: NodeJS.ProcessEnv = process.env): { path: string; token: string } {
  if (env.CERTFLOW_ADMIN_TOKEN) {
    throw new CliError(
      'the admin token comes from CERTFLOW_ADMIN_TOKEN, not from a file',
      EXIT.USAGE,
      'ADMIN_TOKEN_FROM_ENV',
      'change CERTFLOW_ADMIN_TOKEN where the request service is configured and restart it',
    );
  }
  const path = join(resolve(stateDir), ADMIN_TOKEN_FILE);
  if (!existsSync(path)) {
    throw new CliError(
      `there is no admin token file at ${path}`,
      EXIT.ERROR,
      'ADMIN_TOKEN_FILE_MISSING',
      'run this where certflow keeps its state (--state-dir, or CERTFLOW_STATE_DIR; default .certflow)',
    );
  }
  const token = randomBytes(32).toString('base64url');
  writeFileAtomic(path, token + '\n', { mode: 0o600 });
  return { path, token };
}
