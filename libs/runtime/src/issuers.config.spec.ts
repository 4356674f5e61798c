import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config';
import { loadIssuers, parseIssuers, publicView } from './issuers.config';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const acme = { name: 'pebble', type: 'acme', directoryUrl: 'https://127.0.0.1:14000/dir' };

function problemsOf(env: Record<string, string | undefined>): string {
  return parseIssuers(env).problems.join('\n');
}

function fileWith(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'issuers-')), 'issuers.json');
  writeFileSync(path, content);
  return path;
}

describe('parseIssuers', () => {
  describe('when nothing is set', () => {
    it('serves internal and offline, each named after its type', () => {
      expect(loadIssuers({})).toEqual([
        { name: 'internal', type: 'internal' },
        { name: 'offline', type: 'offline' },
      ]);
    });
  });

  describe('when CERTFLOW_ISSUERS is the short comma list', () => {
    it('reads each name as its type, ignoring spaces', () => {
      expect(loadIssuers({ CERTFLOW_ISSUERS: ' offline , internal ' }).map((i) => i.name)).toEqual(['offline', 'internal']);
    });

    it('refuses acme there, saying where its settings go', () => {
      expect(problemsOf({ CERTFLOW_ISSUERS: 'internal,acme' })).toContain('an acme issuer needs settings');
    });

    it('refuses an unknown type and a name given twice', () => {
      expect(problemsOf({ CERTFLOW_ISSUERS: 'internal,vault' })).toContain('unknown issuer type "vault"');
      expect(problemsOf({ CERTFLOW_ISSUERS: 'internal,internal' })).toContain('issuer "internal" is named twice');
    });
  });

  describe('when CERTFLOW_ISSUERS is a JSON list', () => {
    it('reads an acme issuer with its defaults: http-01, terms agreed, contact as mailto', () => {
      const [issuer] = loadIssuers({ CERTFLOW_ISSUERS: JSON.stringify([{ ...acme, contact: 'pki@example.com' }]) });
      expect(issuer).toEqual({ ...acme, contact: ['mailto:pki@example.com'], termsOfServiceAgreed: true, challenge: 'http-01' });
    });

    it('takes the EAB HMAC key from the environment variable the list names', () => {
      const [issuer] = loadIssuers({ CERTFLOW_ISSUERS: JSON.stringify([{ ...acme, eab: { kid: 'kid-1', hmacKeyEnv: 'EAB_KEY' } }]), EAB_KEY: 'c2VjcmV0' });
      expect(issuer).toMatchObject({ eab: { kid: 'kid-1', hmacKey: 'c2VjcmV0' } });
    });

    it('says so when the EAB variable is not set', () => {
      expect(problemsOf({ CERTFLOW_ISSUERS: JSON.stringify([{ ...acme, eab: { kid: 'kid-1', hmacKeyEnv: 'EAB_KEY' } }]) })).toContain('EAB_KEY is not set');
    });

    it('refuses a directory URL that is not http(s), an unknown challenge and an unknown field', () => {
      const message = problemsOf({
        CERTFLOW_ISSUERS: JSON.stringify([
          { ...acme, directoryUrl: 'ftp://ca' },
          { ...acme, name: 'b', challenge: 'tls-alpn-01' },
          { ...acme, name: 'c', secret: 1 },
        ]),
      });
      expect(message).toContain('CERTFLOW_ISSUERS[0.directoryUrl]: must be the https:// URL of the CA directory');
      expect(message).toContain('CERTFLOW_ISSUERS[1.challenge]: must be "http-01" or "dns-01"');
      expect(message).toContain('CERTFLOW_ISSUERS[2]');
    });

    it('refuses dns-01 without a DNS provider', () => {
      expect(problemsOf({ CERTFLOW_ISSUERS: JSON.stringify([{ ...acme, challenge: 'dns-01' }]) })).toContain('challenge "dns-01" needs a "dnsProvider"');
    });

    it('refuses an unknown type, naming the known ones', () => {
      expect(problemsOf({ CERTFLOW_ISSUERS: '[{"name":"x","type":"vault"}]' })).toContain('"type" must be one of internal, offline, acme');
    });

    it('says when the text is not JSON', () => {
      expect(problemsOf({ CERTFLOW_ISSUERS: '[{' })).toContain('CERTFLOW_ISSUERS: not a JSON list');
    });
  });

  describe('when CERTFLOW_ISSUERS_FILE names a file', () => {
    it('reads {"issuers": [...]} and the CA trust from caTrustFile', () => {
      const trust = fileWith(PEM);
      const path = fileWith(JSON.stringify({ issuers: [{ name: 'internal', type: 'internal' }, { ...acme, caTrustFile: trust }] }));
      const issuers = loadIssuers({ CERTFLOW_ISSUERS_FILE: path });
      expect(issuers[1]).toMatchObject({ name: 'pebble', caTrustPem: PEM });
    });

    it('names the file it cannot read', () => {
      expect(problemsOf({ CERTFLOW_ISSUERS_FILE: '/nonexistent/issuers.json' })).toContain('CERTFLOW_ISSUERS_FILE: cannot read /nonexistent/issuers.json (ENOENT)');
    });

    it('refuses a caTrustFile without certificates', () => {
      const path = fileWith(JSON.stringify([{ ...acme, caTrustFile: fileWith('hello') }]));
      expect(problemsOf({ CERTFLOW_ISSUERS_FILE: path })).toContain('holds no PEM certificate');
    });
  });

  it('throws one ConfigError listing every problem', () => {
    expect(() => loadIssuers({ CERTFLOW_ISSUERS: 'vault,internal,internal' })).toThrow(ConfigError);
  });
});

describe('publicView', () => {
  it('shows an acme issuer without its HMAC key, account key or trust PEM', () => {
    const [issuer] = loadIssuers({ CERTFLOW_ISSUERS: JSON.stringify([{ ...acme, eab: { kid: 'kid-1', hmacKey: 'c2VjcmV0' }, caTrustPem: PEM }]) });
    const view = publicView(issuer);
    expect(JSON.stringify(view)).not.toContain('c2VjcmV0');
    expect(JSON.stringify(view)).not.toContain('BEGIN');
    expect(view).toEqual({
      name: 'pebble',
      type: 'acme',
      directoryUrl: acme.directoryUrl,
      contact: [],
      challenge: 'http-01',
      externalAccountBinding: { kid: 'kid-1' },
      accountKey: 'generated',
      caTrust: 'system+custom',
    });
  });
});

describe('parseIssuers for a service that only lists issuers', () => {
  const acme = JSON.stringify([{ name: 'corp', type: 'acme', directoryUrl: 'https://acme.example.com/dir', eab: { kid: 'k1', hmacKeyEnv: 'CORP_EAB_KEY' } }]);
  it('does not need the EAB key to be set', () => {
    expect(parseIssuers({ CERTFLOW_ISSUERS: acme }, { secrets: false }).problems).toEqual([]);
  });
  it('still needs it where the key is used', () => {
    expect(parseIssuers({ CERTFLOW_ISSUERS: acme }).problems.join()).toMatch(/CORP_EAB_KEY is not set/);
  });
});
