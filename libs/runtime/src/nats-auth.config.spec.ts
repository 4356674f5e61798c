import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseConfigSchema, ConfigError, loadConfig } from './config';

describe('NATS credentials in the configuration', () => {
  let dir: string;
  const file = (name: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, 'x');
    chmodSync(path, mode);
    return path;
  };
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(BaseConfigSchema, env);
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
  };

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'certflow-nats-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('when one way to authenticate is given', () => {
    it('takes an nkey seed file only others cannot read', () => {
      expect(problems({ NATS_NKEY_SEED_FILE: file('svc.nk') })).toEqual([]);
      expect(problems({ NATS_NKEY_SEED_FILE: file('open.nk', 0o644) })).toEqual([expect.stringMatching(/^NATS_NKEY_SEED_FILE: others may read this seed file: run `chmod 600`/)]);
    });

    it('takes a creds file, user and password, or a token', () => {
      expect(problems({ NATS_CREDS: file('svc.creds') })).toEqual([]);
      expect(problems({ NATS_USER: 'request', NATS_PASSWORD: 'secret' })).toEqual([]);
      expect(problems({ NATS_TOKEN: 'abc' })).toEqual([]);
    });

    it('names a file it cannot read', () => {
      expect(problems({ NATS_CREDS: join(dir, 'missing.creds') })).toEqual([expect.stringMatching(/^NATS_CREDS: must be the path of a file this process can read/)]);
    });
  });

  describe('when the settings contradict each other', () => {
    it('refuses two ways to authenticate at once', () => {
      expect(problems({ NATS_NKEY_SEED_FILE: file('svc.nk'), NATS_TOKEN: 'abc' })).toEqual([expect.stringMatching(/NATS_NKEY_SEED_FILE, NATS_TOKEN: set only one way/)]);
    });

    it('refuses a password without a user, and a client certificate without its key', () => {
      expect(problems({ NATS_PASSWORD: 'secret' })).toEqual([expect.stringMatching(/^NATS_PASSWORD: set NATS_USER too/)]);
      expect(problems({ NATS_TLS_CERT: file('client.pem') })).toEqual([expect.stringMatching(/^NATS_TLS_CERT, NATS_TLS_KEY: a client certificate needs its key/)]);
    });

    it('refuses an inbox prefix that is not one subject token', () => {
      expect(problems({ NATS_INBOX_PREFIX: '_INBOX.request' })).toEqual([expect.stringMatching(/^NATS_INBOX_PREFIX: must be one subject token/)]);
    });
  });
});
