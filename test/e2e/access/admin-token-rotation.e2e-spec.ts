import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startCertflow, type Certflow } from '../harness';
import { cliEnv, runCli } from '../cli.helpers';

jest.setTimeout(180_000);

/**
 * The admin token file with all four services running: generated on first start, replaced by
 * `certflow tokens rotate-admin`, and followed by the running request service without a restart.
 */
describe('secrets with four services running: database roles, admin token file rotation without a restart', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'certflow-admin-token-'));
  const tokenFile = join(stateDir, 'admin.token');
  let cf: Certflow;

  beforeAll(async () => {
    // No CERTFLOW_ADMIN_TOKEN (an undefined variable is not passed to the services): the file is used.
    cf = await startCertflow({ env: { CERTFLOW_STATE_DIR: stateDir, CERTFLOW_ADMIN_TOKEN: undefined as unknown as string } });
  });
  afterAll(async () => {
    await cf?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const status = async (token: string) => (await cf.api('/api/v1/tokens', { token })).status;
  const statusWithin = async (token: string, want: number, ms: number): Promise<number> => {
    const end = Date.now() + ms;
    let got = await status(token);
    while (got !== want && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      got = await status(token);
    }
    return got;
  };

  describe('when the services run on a PostgreSQL user that may create roles', () => {
    it('each pool is logged in as its own runtime role', async () => {
      const pg = new Client({ connectionString: cf.databaseUrl });
      await pg.connect();
      try {
        const database = new URL(cf.databaseUrl).pathname.slice(1);
        const { rows } = await pg.query(
          `SELECT DISTINCT application_name AS app, usename AS role FROM pg_stat_activity
            WHERE datname = $1 AND application_name LIKE 'certflow/%' AND application_name NOT LIKE '%/migrate' ORDER BY 1`,
          [database],
        );
        expect(rows).toEqual(
          ['assignment', 'ca_gateway', 'request', 'trust_validation'].map((schema) => ({ app: `certflow/${schema}`, role: `${database}_${schema}_app` })),
        );
      } finally {
        await pg.end();
      }
    });
  });

  describe('when the request service started without CERTFLOW_ADMIN_TOKEN', () => {
    it('wrote the token file (mode 0600) and takes its token', async () => {
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      expect(await status(readFileSync(tokenFile, 'utf8').trim())).toBe(200);
      expect(await status(cf.token)).toBe(401);
    });
  });

  describe('when the token is rotated with the CLI', () => {
    it('the new token works and the old one gets 401 within seconds, with no restart', async () => {
      const old = readFileSync(tokenFile, 'utf8').trim();
      const pid = cf.pid('request');
      const env = cliEnv(cf, { CERTFLOW_STATE_DIR: stateDir });
      delete env.CERTFLOW_ADMIN_TOKEN;
      const rotated = await runCli(['tokens', 'rotate-admin'], env);
      expect(rotated.code).toBe(0);
      const fresh = rotated.stdout.trim();
      expect(fresh).toBe(readFileSync(tokenFile, 'utf8').trim());
      expect(fresh).not.toBe(old);
      expect(await statusWithin(fresh, 200, 5_000)).toBe(200);
      expect(await statusWithin(old, 401, 5_000)).toBe(401);
      expect(cf.pid('request')).toBe(pid);
    });

    it('refuses when CERTFLOW_ADMIN_TOKEN is set, saying to change it there', async () => {
      const before = readFileSync(tokenFile, 'utf8');
      const refused = await runCli(['tokens', 'rotate-admin', '--state-dir', stateDir], cliEnv(cf, { CERTFLOW_ADMIN_TOKEN: 'e'.repeat(32) }));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('ADMIN_TOKEN_FROM_ENV');
      expect(readFileSync(tokenFile, 'utf8')).toBe(before);
    });
  });

  describe('when the token file is made readable by others', () => {
    it('refuses the admin token (fail closed) until it is made 0600 again', async () => {
      const token = readFileSync(tokenFile, 'utf8').trim();
      chmodSync(tokenFile, 0o644);
      expect(await statusWithin(token, 401, 5_000)).toBe(401);
      chmodSync(tokenFile, 0o600);
      expect(await statusWithin(token, 200, 5_000)).toBe(200);
    });
  });

  describe('when the request service starts over an unsafe or short token file', () => {
    /** Resolves when the started request service has exited on its own. */
    const exited = async () => {
      const end = Date.now() + 15_000;
      while (cf.pid('request') !== undefined) {
        if (Date.now() > end) throw new Error(`request still running:\n${cf.dumpLogs()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    it('refuses to start, saying the chmod or the command to run', async () => {
      await cf.stopService('request');
      chmodSync(tokenFile, 0o640);
      cf.startService('request');
      await exited();
      expect(cf.dumpLogs(20_000)).toContain(`chmod 600 ${tokenFile}`);
      await cf.stopService('request');
      chmodSync(tokenFile, 0o600);
      writeFileSync(tokenFile, 'short\n');
      cf.startService('request');
      await exited();
      expect(cf.dumpLogs(20_000)).toContain('shorter than 24 characters: run `certflow tokens rotate-admin`');
    });
  });
});
