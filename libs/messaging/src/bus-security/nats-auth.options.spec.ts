import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsAuthFromEnv, natsClientAuthOptions } from '../nats.connection';
import { ensureBusIdentities, publicKeyOfSeedFile, readSeedFile } from './bus.identities';

describe('NATS connection credentials', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'certflow-nats-auth-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('natsAuthFromEnv', () => {
    it('reads every variable and leaves TLS out when none is set', () => {
      expect(natsAuthFromEnv({ NATS_NKEY_SEED_FILE: '/s.nk', NATS_INBOX_PREFIX: '_INBOX_x' })).toEqual({
        nkeySeedFile: '/s.nk',
        credsFile: undefined,
        user: undefined,
        password: undefined,
        token: undefined,
        tls: undefined,
        inboxPrefix: '_INBOX_x',
      });
      expect(natsAuthFromEnv({ NATS_TLS_CA: '/ca.pem' }).tls).toEqual({ caFile: '/ca.pem', certFile: undefined, keyFile: undefined });
    });
  });

  describe('natsClientAuthOptions', () => {
    it('signs with the nkey of a seed file', () => {
      const [id] = ensureBusIdentities(dir, ['request']);
      const options = natsClientAuthOptions({ nkeySeedFile: id.seedFile });
      expect(options.authenticator).toHaveLength(1);
      const auth = (options.authenticator as ((nonce?: string) => { nkey?: string; sig?: Uint8Array })[])[0]('nonce');
      expect(auth.nkey).toBe(id.publicKey);
      expect(auth.sig?.length).toBeGreaterThan(0);
    });

    it('passes user and password, a token, TLS files and a creds file to the client', () => {
      expect(natsClientAuthOptions({ user: 'u', password: 'p' })).toEqual({ user: 'u', pass: 'p' });
      expect(natsClientAuthOptions({ token: 't' })).toEqual({ token: 't' });
      expect(natsClientAuthOptions({ tls: { caFile: '/ca.pem' } })).toEqual({ tls: { caFile: '/ca.pem' } });
      const creds = join(dir, 'svc.creds');
      writeFileSync(creds, '-----BEGIN NATS USER JWT-----\neyJ0eXAi\n------END NATS USER JWT------\n');
      expect(natsClientAuthOptions({ credsFile: creds }).authenticator).toHaveLength(1);
    });
  });

  describe('ensureBusIdentities', () => {
    it('makes each seed once, mode 0600, and keeps it across calls', () => {
      const first = ensureBusIdentities(dir, ['request', 'subscriber']);
      const again = ensureBusIdentities(dir, ['request', 'subscriber']);
      expect(again.map((i) => i.publicKey)).toEqual(first.map((i) => i.publicKey));
      expect(first[0].publicKey).not.toBe(first[1].publicKey);
      expect(publicKeyOfSeedFile(first[0].seedFile)).toMatch(/^U[A-Z2-7]{55}$/);
    });

    it('refuses a seed file others may read, and a file that holds no seed', () => {
      const open = join(dir, 'open.nk');
      writeFileSync(open, 'SU' + 'A'.repeat(56), { mode: 0o644 });
      expect(() => readSeedFile(open)).toThrow(/chmod 600/);
      const junk = join(dir, 'junk.nk');
      writeFileSync(junk, 'not a seed', { mode: 0o600 });
      expect(() => readSeedFile(junk)).toThrow(/does not hold a NATS user nkey seed/);
    });
  });
});
