import { createCipheriv, randomBytes } from 'node:crypto';
import { checkCsr, decryptPrivateKey, encryptPrivateKey, exportPkcs8, generateKeyPair, KeyEncryptionKey, type KeyEncryptionSecret } from '@certflow/pki';
import { fixedClock, TestPki } from '@certflow/testing';
import { InternalCaAdapter } from './internal-ca.adapter';
import { CaKeyCertificateMismatchError, CaKeyMismatchError, caKeyLabel, createInternalCa, type InternalCaRecord } from './internal-ca.material';
import { MemoryInternalCaStore } from './memory-internal-ca.store';

const KEY = randomBytes(32);
const clock = fixedClock('2030-03-01T10:00:00.000Z');

/** A blob as certflow wrote them before format v2 (no associated data), made independently here. */
function v1Blob(der: ArrayBuffer, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(Buffer.from(der)), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

async function storedCa(issuer: string, key: KeyEncryptionSecret = KEY): Promise<InternalCaRecord> {
  return (await createInternalCa({ issuer, name: 'certflow Internal', key, clock })).record;
}

function start(store: MemoryInternalCaStore, key: KeyEncryptionSecret = KEY, issuer = 'internal'): Promise<InternalCaAdapter> {
  const ca = new InternalCaAdapter({ issuer, caName: 'certflow Internal', key, leafDays: 30, clock, store });
  return ca.start().then(() => ca);
}

async function issues(ca: InternalCaAdapter): Promise<boolean> {
  const csr = await (await TestPki.create()).csr({ host: 'web.example.com' });
  const outcome = await ca.issue({ requestId: 'r', issuer: 'internal', host: 'web.example.com', csrPem: csr.pem, csr: await checkCsr(csr.pem, 'web.example.com') });
  return outcome.kind === 'issued';
}

describe('internal CA key blobs', () => {
  describe('when the stored keys are blobs of format v1 (written before labels)', () => {
    let store: MemoryInternalCaStore;
    let before: InternalCaRecord;

    beforeAll(async () => {
      const record = await storedCa('internal');
      const der = (blob: string, purpose: 'root-key' | 'signing-key') => decryptPrivateKey(blob, KEY, caKeyLabel('internal', purpose));
      before = { ...record, rootKey: v1Blob(der(record.rootKey, 'root-key'), KEY), intermediateKey: v1Blob(der(record.intermediateKey, 'signing-key'), KEY) };
      store = new MemoryInternalCaStore();
      store.records.set('internal', before);
    });

    it('opens them, signs with them, and stores them again as labelled v2 blobs of the same keys', async () => {
      const ca = await start(store);
      expect(await issues(ca)).toBe(true);
      const after = store.records.get('internal')!;
      expect(store.rewrites).toBe(1);
      expect(after.rootKey).toMatch(/^v2:raw::/);
      expect(after.intermediateKey).toMatch(/^v2:raw::/);
      expect(after.rootPem).toBe(before.rootPem);
      expect(Buffer.from(decryptPrivateKey(after.intermediateKey, KEY, caKeyLabel('internal', 'signing-key')))).toEqual(
        Buffer.from(decryptPrivateKey(before.intermediateKey, KEY, 'any label: v1 has none')),
      );
    });

    it('leaves current blobs alone on the next start', async () => {
      const current = store.records.get('internal')!;
      await start(store);
      expect(store.rewrites).toBe(1);
      expect(store.records.get('internal')).toEqual(current);
    });
  });

  describe("when a row holds another issuer's blobs (moved or copied)", () => {
    it('refuses to start: the labels do not match', async () => {
      const store = new MemoryInternalCaStore();
      const other = await storedCa('other');
      const own = await storedCa('internal');
      store.records.set('internal', { ...own, intermediateKey: other.intermediateKey });
      await expect(start(store)).rejects.toBeInstanceOf(CaKeyMismatchError);
      store.records.set('internal', { ...other, issuer: 'internal' });
      await expect(start(store)).rejects.toBeInstanceOf(CaKeyMismatchError);
    });
  });

  describe('when a stored key decrypts but is not the key of its certificate', () => {
    it.each(['root-key', 'signing-key'] as const)('refuses to start, naming the key (%s)', async (purpose) => {
      const store = new MemoryInternalCaStore();
      const record = await storedCa('internal');
      const stranger = encryptPrivateKey(await exportPkcs8((await generateKeyPair('ec-p256')).privateKey), KEY, caKeyLabel('internal', purpose));
      store.records.set('internal', purpose === 'root-key' ? { ...record, rootKey: stranger } : { ...record, intermediateKey: stranger });
      const failure = start(store);
      await expect(failure).rejects.toBeInstanceOf(CaKeyCertificateMismatchError);
      await expect(failure).rejects.toThrow(`the stored ${purpose === 'root-key' ? 'root' : 'issuing'} key of issuer "internal" does not match its certificate`);
    });
  });

  describe('when CERTFLOW_CA_KEY is a passphrase', () => {
    it('salts each key blob on its own and opens them again after a restart', async () => {
      const store = new MemoryInternalCaStore();
      await start(store, KeyEncryptionKey.fromSecret('a long enough passphrase for tests'));
      const record = store.records.get('internal')!;
      expect(record.rootKey.split(':')[2]).not.toBe(record.intermediateKey.split(':')[2]);
      const again = await start(store, KeyEncryptionKey.fromSecret('a long enough passphrase for tests'));
      expect(await issues(again)).toBe(true);
      await expect(start(store, KeyEncryptionKey.fromSecret('another long passphrase for tests'))).rejects.toBeInstanceOf(CaKeyMismatchError);
    });
  });
});
