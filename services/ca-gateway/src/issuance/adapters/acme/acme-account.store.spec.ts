import { createCipheriv, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PgAcmeAccountStore } from './acme-account.store';

/** Holds the acme_account rows as the SQL would, so the test sees exactly what would be stored. */
function fakeDataSource() {
  const rows = new Map<string, { account_key: string; account_url: string | null; directory_url: string }>();
  const ds = {
    query: async (sql: string, params: unknown[]) => {
      if (sql.startsWith('SELECT')) {
        const r = rows.get(params[0] as string);
        return r ? [r] : [];
      }
      if (sql.startsWith('INSERT')) {
        const [issuer, directory_url, account_key] = params as string[];
        if (!rows.has(issuer)) rows.set(issuer, { account_key, account_url: null, directory_url });
        return [];
      }
      if (sql.startsWith('UPDATE acme_account SET account_key')) {
        const [issuer, old, blob] = params as string[];
        const r = rows.get(issuer);
        if (r && r.account_key === old) r.account_key = blob;
        return [];
      }
      throw new Error(`unexpected SQL in this test: ${sql}`);
    },
  } as unknown as DataSource;
  return { ds, rows };
}

describe('PgAcmeAccountStore', () => {
  const caKey = randomBytes(32);
  const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  describe('when an account key is saved', () => {
    it('stores it AES-GCM encrypted: no PEM, no plain DER, not the key bytes', async () => {
      const { ds, rows } = fakeDataSource();
      await new PgAcmeAccountStore(ds, caKey).saveKey('le', 'https://acme.example/dir', keyPem);
      const stored = rows.get('le')!.account_key;
      expect(stored).not.toContain('PRIVATE KEY');
      expect(stored).toMatch(/^v2:raw::/);
      const plainDer = Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      expect(stored).not.toContain(plainDer.toString('base64'));
      expect(stored).not.toContain(plainDer.toString('base64').slice(0, 40));
    });

    it('reads back the same key with the configured key, and not with another', async () => {
      const { ds } = fakeDataSource();
      await new PgAcmeAccountStore(ds, caKey).saveKey('le', 'https://acme.example/dir', keyPem);
      expect((await new PgAcmeAccountStore(ds, caKey).load('le'))!.keyPem).toBe(keyPem);
      await expect(new PgAcmeAccountStore(ds, randomBytes(32)).load('le')).rejects.toMatchObject({ code: 'KEY_DECRYPT_FAILED' });
    });
  });

  describe("when a row holds another issuer's key blob", () => {
    it('does not open it', async () => {
      const { ds, rows } = fakeDataSource();
      await new PgAcmeAccountStore(ds, caKey).saveKey('le', 'https://acme.example/dir', keyPem);
      rows.set('zerossl', { ...rows.get('le')! });
      await expect(new PgAcmeAccountStore(ds, caKey).load('zerossl')).rejects.toMatchObject({ code: 'KEY_DECRYPT_FAILED' });
    });
  });

  describe('when the stored blob is of format v1', () => {
    it('reads it and stores it again as a labelled v2 blob of the same key', async () => {
      const { ds, rows } = fakeDataSource();
      const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', caKey, iv);
      const ct = Buffer.concat([cipher.update(der), cipher.final()]);
      const v1 = ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
      rows.set('le', { account_key: v1, account_url: 'https://acme.example/acct/1', directory_url: 'https://acme.example/dir' });
      expect((await new PgAcmeAccountStore(ds, caKey).load('le'))!.keyPem).toBe(keyPem);
      expect(rows.get('le')!.account_key).toMatch(/^v2:raw::/);
      expect((await new PgAcmeAccountStore(ds, caKey).load('le'))!.keyPem).toBe(keyPem);
    });
  });
});
