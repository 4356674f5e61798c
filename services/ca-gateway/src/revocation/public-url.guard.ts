import type { DataSource } from 'typeorm';

/** The gateway_setting row holding the public base URL baked into internal-CA leaves. */
const SETTING = 'public_url';

/** Thrown at start when CERTFLOW_PUBLIC_URL differs from the one leaves were issued with. */
export class PublicUrlChangedError extends Error {
  readonly code = 'PublicUrlChanged';
  constructor(readonly stored: string, readonly configured: string) {
    super(
      `CERTFLOW_PUBLIC_URL is ${configured} but certificates were issued with ${stored} in their CRL and OCSP URLs; ` +
        `clients checking those certificates would stop finding them. Keep ${stored}, or set CERTFLOW_PUBLIC_URL_CHANGE=accept to change it anyway`,
    );
    this.name = 'PublicUrlChangedError';
  }
}

/**
 * Stores the public URL at first start; a later start with another URL is refused unless `accept`
 * (CERTFLOW_PUBLIC_URL_CHANGE=accept), which stores the new one and says so through `log`.
 * Safe with several instances starting at once: the first insert wins, the others compare with it.
 */
export async function checkPublicUrl(ds: DataSource, url: string, accept: boolean, log: (line: string) => void): Promise<void> {
  await ds.query('INSERT INTO gateway_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [SETTING, url]);
  const [row] = await ds.query<{ value: string }[]>('SELECT value FROM gateway_setting WHERE name = $1', [SETTING]);
  if (row.value === url) return;
  if (!accept) throw new PublicUrlChangedError(row.value, url);
  await ds.query('UPDATE gateway_setting SET value = $2, updated_at = now() WHERE name = $1', [SETTING, url]);
  log(`CERTFLOW_PUBLIC_URL changed from ${row.value} to ${url} (CERTFLOW_PUBLIC_URL_CHANGE=accept); certificates issued before keep the old CRL and OCSP URLs`);
}
