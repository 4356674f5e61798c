import { createPrivateKey } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { decryptPrivateKey, encryptPrivateKey, isCurrentKeyBlob, type KeyEncryptionSecret } from '@certflow/pki';

/** An issuer's ACME account as stored: the key (decrypted, PEM) and the URL the CA gave it. */
export interface StoredAcmeAccount {
  keyPem: string;
  accountUrl: string | null;
  directoryUrl: string;
}

/**
 * The `acme_account` table: one account key per issuer, encrypted with CERTFLOW_CA_KEY, created at
 * first use and kept across restarts (a new key would be a new account at the CA).
 */
export class PgAcmeAccountStore {
  constructor(private readonly ds: DataSource, private readonly caKey: KeyEncryptionSecret) {}

  async load(issuer: string): Promise<StoredAcmeAccount | null> {
    const rows: { account_key: string; account_url: string | null; directory_url: string }[] = await this.ds.query(
      'SELECT account_key, account_url, directory_url FROM acme_account WHERE issuer = $1',
      [issuer],
    );
    if (!rows.length) return null;
    const der = Buffer.from(decryptPrivateKey(rows[0].account_key, this.caKey, acmeKeyLabel(issuer)));
    if (!isCurrentKeyBlob(rows[0].account_key)) await this.rewriteKey(issuer, rows[0].account_key, der);
    const keyPem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
    return { keyPem, accountUrl: rows[0].account_url, directoryUrl: rows[0].directory_url };
  }

  /** Stores a new key unless another gateway instance stored one first; returns the one kept. */
  async saveKey(issuer: string, directoryUrl: string, keyPem: string): Promise<StoredAcmeAccount> {
    const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
    const blob = encryptPrivateKey(arrayBufferOf(der), this.caKey, acmeKeyLabel(issuer));
    await this.ds.query('INSERT INTO acme_account (issuer, directory_url, account_key) VALUES ($1, $2, $3) ON CONFLICT (issuer) DO NOTHING', [issuer, directoryUrl, blob]);
    return (await this.load(issuer))!;
  }

  /** Stores a blob of an older format again in the current one; a no-op if another instance did. */
  private async rewriteKey(issuer: string, old: string, der: Buffer): Promise<void> {
    const blob = encryptPrivateKey(arrayBufferOf(der), this.caKey, acmeKeyLabel(issuer));
    await this.ds.query('UPDATE acme_account SET account_key = $3 WHERE issuer = $1 AND account_key = $2', [issuer, old, blob]);
  }

  /** The account URL the CA returned for the key at `directoryUrl` (null: register again). */
  async saveAccountUrl(issuer: string, directoryUrl: string, accountUrl: string | null): Promise<void> {
    await this.ds.query('UPDATE acme_account SET account_url = $2, directory_url = $3, updated_at = now() WHERE issuer = $1', [issuer, accountUrl, directoryUrl]);
  }
}

/** What an ACME account key blob is, bound into it: a blob copied to another issuer's row does not open. */
export function acmeKeyLabel(issuer: string): string {
  return `certflow/acme/${issuer}/account-key`;
}

function arrayBufferOf(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
