import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Role } from '../auth/permissions';
import type { TokenAuthenticator, TokenIdentity } from '../auth/token-authenticator';
import { newTokenSecret, tokenDigest } from './token-secret';

/** A token as the API shows it: never its secret, never its digest. */
export interface TokenView {
  id: string;
  name: string;
  role: Role;
  hosts: string[];
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  role: Role;
  host_patterns: string[];
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
  revoked_by: string | null;
  last_used_at: Date | null;
}

/** lastUsedAt is a hint, not a record: written at most once a minute per token, off the request path. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The `api_token` table. */
@Injectable()
export class TokenStore implements TokenAuthenticator {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  /** Inserts a token in `m`'s transaction and returns it with its secret (the only time it exists). */
  async create(m: EntityManager, t: { name: string; role: Role; hosts: string[]; by: string; at: Date }): Promise<{ secret: string; token: TokenView }> {
    const secret = newTokenSecret();
    const rows: Row[] = await m.query(
      `INSERT INTO api_token (id, name, role, host_patterns, secret_sha256, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [randomUUID(), t.name, t.role, JSON.stringify(t.hosts), tokenDigest(secret), t.at, t.by],
    );
    return { secret, token: toView(rows[0]) };
  }

  async list(): Promise<TokenView[]> {
    const rows: Row[] = await this.ds.query('SELECT * FROM api_token ORDER BY created_at DESC, id DESC');
    return rows.map(toView);
  }

  async liveNameTaken(m: EntityManager, name: string): Promise<boolean> {
    const rows = await m.query('SELECT 1 FROM api_token WHERE lower(name) = lower($1) AND revoked_at IS NULL', [name]);
    return rows.length > 0;
  }

  /** Marks a token revoked; returns it, or null if there is none with that id. Revoking twice keeps the first time. */
  async revoke(m: EntityManager, id: string, by: string, at: Date): Promise<{ token: TokenView; changed: boolean } | null> {
    // TypeORM answers an UPDATE as [rows, affected count], a SELECT as rows.
    const [updated]: [Row[], number] = await m.query(
      'UPDATE api_token SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING *',
      [id, at, by],
    );
    if (updated.length) return { token: toView(updated[0]), changed: true };
    const rows: Row[] = await m.query('SELECT * FROM api_token WHERE id = $1', [id]);
    return rows.length ? { token: toView(rows[0]), changed: false } : null;
  }

  /** Those of `ids` that are live tokens (exist, not revoked): one query however many. */
  async liveIds(ids: readonly string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: { id: string }[] = await this.ds.query('SELECT id FROM api_token WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL', [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** The live token whose secret this is, or null (unknown or revoked). */
  async authenticate(secret: string, now: Date): Promise<TokenIdentity | null> {
    const rows: Row[] = await this.ds.query(
      'SELECT id, name, role, host_patterns, last_used_at FROM api_token WHERE secret_sha256 = $1 AND revoked_at IS NULL',
      [tokenDigest(secret)],
    );
    const row = rows[0];
    if (!row) return null;
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
      // Not awaited: a failed hint must not fail the caller's request.
      this.ds.query('UPDATE api_token SET last_used_at = $2 WHERE id = $1', [row.id, now]).catch(() => undefined);
    }
    return { id: row.id, name: row.name, role: row.role, hosts: row.host_patterns };
  }
}

function toView(r: Row): TokenView {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    hosts: r.host_patterns,
    createdAt: new Date(r.created_at).toISOString(),
    createdBy: r.created_by,
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
    revokedBy: r.revoked_by,
    lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
  };
}
