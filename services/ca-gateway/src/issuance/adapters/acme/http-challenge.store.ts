import type { DataSource } from 'typeorm';

/**
 * The `acme_http_challenge` table: HTTP-01 key authorizations by token. Kept in the database so
 * whichever gateway instance the CA reaches can answer.
 */
export class PgHttpChallengeStore {
  constructor(private readonly ds: DataSource) {}

  async put(token: string, keyAuthorization: string, requestId: string): Promise<void> {
    await this.ds.query(
      'INSERT INTO acme_http_challenge (token, key_authorization, request_id) VALUES ($1, $2, $3) ON CONFLICT (token) DO UPDATE SET key_authorization = EXCLUDED.key_authorization',
      [token, keyAuthorization, requestId],
    );
  }

  async get(token: string): Promise<string | null> {
    const rows: { key_authorization: string }[] = await this.ds.query('SELECT key_authorization FROM acme_http_challenge WHERE token = $1', [token]);
    return rows[0]?.key_authorization ?? null;
  }

  async removeFor(requestId: string): Promise<void> {
    await this.ds.query('DELETE FROM acme_http_challenge WHERE request_id = $1', [requestId]);
  }
}
