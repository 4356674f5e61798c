import { ConfigError } from '@certflow/runtime';
import { randomBytes } from 'node:crypto';
import { KeyEncryptionKey } from '@certflow/pki';
import { loadCaGatewayConfig, parseCaKey } from './config';

const HEX_KEY = 'ab'.repeat(32);

function load(env: Record<string, string | undefined>) {
  return loadCaGatewayConfig(env as NodeJS.ProcessEnv);
}

function problems(env: Record<string, string | undefined>): string {
  try {
    load(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('CaGatewayConfigSchema', () => {
  describe('when only CERTFLOW_CA_KEY is set', () => {
    it('uses the defaults', () => {
      const config = load({ CERTFLOW_CA_KEY: HEX_KEY });
      expect(config.CERTFLOW_CA_KEY.kdf).toBe('raw');
      expect(config.CERTFLOW_CA_KEY.keyFor(randomBytes(16))).toEqual(Buffer.from(HEX_KEY, 'hex'));
      expect(config.issuers.map((i) => i.name)).toEqual(['internal', 'offline']);
      expect(config.CERTFLOW_ACME_HTTP_PORT).toBe(5002);
      expect(config.CERTFLOW_INTERNAL_CA_NAME).toBe('certflow Internal');
      expect(config.CERTFLOW_LEAF_DAYS).toBe(397);
      expect(config.CERTFLOW_PUBLIC_URL).toBe('http://127.0.0.1:8080');
      expect(config.CERTFLOW_PUBLIC_URL_CHANGE).toBeUndefined();
      expect(config.CERTFLOW_CRL_VALIDITY).toBe(7 * 86_400_000);
    });
  });

  describe('CERTFLOW_PUBLIC_URL, CERTFLOW_PUBLIC_URL_CHANGE, CERTFLOW_CRL_VALIDITY', () => {
    it('takes an http(s) URL without a trailing slash', () => {
      expect(load({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_PUBLIC_URL: 'https://pki.example.com/certflow' }).CERTFLOW_PUBLIC_URL).toBe('https://pki.example.com/certflow');
      for (const bad of ['https://pki.example.com/', 'ftp://pki.example.com', 'pki.example.com', 'https://pki.example.com?x=1', 'https://u:p@pki.example.com']) {
        expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_PUBLIC_URL: bad })).toContain('CERTFLOW_PUBLIC_URL: must be an http(s) URL without a trailing slash');
      }
    });

    it('takes only "accept" as the change switch', () => {
      expect(load({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_PUBLIC_URL_CHANGE: 'accept' }).CERTFLOW_PUBLIC_URL_CHANGE).toBe('accept');
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_PUBLIC_URL_CHANGE: 'yes' })).toContain('CERTFLOW_PUBLIC_URL_CHANGE: must be "accept" or unset');
    });

    it('reads the CRL validity as an ISO 8601 duration', () => {
      expect(load({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_CRL_VALIDITY: 'PT12H' }).CERTFLOW_CRL_VALIDITY).toBe(12 * 3_600_000);
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_CRL_VALIDITY: 'P1M' })).toContain('CERTFLOW_CRL_VALIDITY: must be an ISO 8601 duration');
    });
  });

  describe('CERTFLOW_CA_KEY', () => {
    it('is required, and the message says how to make one', () => {
      expect(problems({})).toContain('CERTFLOW_CA_KEY: required');
      expect(problems({})).toContain('openssl rand -hex 32');
    });

    it('refuses a short secret, saying how to make a good one', () => {
      const message = problems({ CERTFLOW_CA_KEY: 'short' });
      expect(message).toContain('CERTFLOW_CA_KEY: too short');
      expect(message).toContain('openssl rand -hex 32');
    });

    it('takes base64 of 32 bytes as the key itself', () => {
      const raw = Buffer.alloc(32, 7);
      expect(parseCaKey(raw.toString('base64'))!.keyFor(randomBytes(16))).toEqual(raw);
    });

    it('takes 16 characters or more as a passphrase, each blob salting its own derivation', () => {
      const key = parseCaKey('correct horse battery staple')!;
      expect(key.kdf).toBe('scrypt');
      const salt = randomBytes(16);
      expect(key.keyFor(salt)).toHaveLength(32);
      expect(key.keyFor(salt)).not.toEqual(key.keyFor(randomBytes(16)));
      expect(key.equals(KeyEncryptionKey.fromSecret('correct horse battery staple'))).toBe(true);
      expect(parseCaKey('another long passphrase!')!.keyFor(salt)).not.toEqual(key.keyFor(salt));
    });
  });

  describe('CERTFLOW_ISSUERS', () => {
    it('reads a comma list, ignoring spaces', () => {
      expect(load({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_ISSUERS: ' offline , internal ' }).issuers.map((i) => i.name)).toEqual(['offline', 'internal']);
    });

    it('refuses an issuer of an unknown type, and acme without its settings', () => {
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_ISSUERS: 'internal,vault' })).toContain('CERTFLOW_ISSUERS: unknown issuer type "vault"');
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_ISSUERS: 'internal,acme' })).toContain('an acme issuer needs settings');
    });

    it('reads an acme issuer from a JSON list', () => {
      const issuers = load({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_ISSUERS: '[{"name":"le-staging","type":"acme","directoryUrl":"https://acme-staging-v02.api.letsencrypt.org/directory"}]' }).issuers;
      expect(issuers).toEqual([expect.objectContaining({ name: 'le-staging', type: 'acme', challenge: 'http-01' })]);
    });

    it('refuses an empty list and a name given twice', () => {
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_ISSUERS: '[]' })).toContain('name at least one issuer');
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_ISSUERS: 'internal,internal' })).toContain('named twice');
    });
  });

  describe('CERTFLOW_LEAF_DAYS', () => {
    it('reads a number of days and refuses anything else', () => {
      expect(load({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_LEAF_DAYS: '90' }).CERTFLOW_LEAF_DAYS).toBe(90);
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_LEAF_DAYS: 'soon' })).toContain('CERTFLOW_LEAF_DAYS');
      expect(problems({ CERTFLOW_CA_KEY: HEX_KEY, CERTFLOW_LEAF_DAYS: '0' })).toContain('at least 1 day');
    });
  });

  it('reports every problem at once', () => {
    const message = problems({ CERTFLOW_ISSUERS: 'acme', CERTFLOW_LEAF_DAYS: '-1' });
    expect(message).toContain('CERTFLOW_CA_KEY');
    expect(message).toContain('CERTFLOW_ISSUERS');
    expect(message).toContain('CERTFLOW_LEAF_DAYS');
  });
});
