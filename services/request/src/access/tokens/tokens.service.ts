import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../http/api-error';
import { AuditStore } from '../audit/audit.store';
import { ROLES, isHostScoped, isRole, type Role } from '../auth/permissions';
import { hostPatternProblem } from '../auth/host-pattern';
import { TokenStore, type TokenView } from './token.store';
import { isUuid, normalizeHost } from '@certflow/contracts';

const FIELDS = new Set(['name', 'role', 'hosts']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Names the audit log already uses for something else: the bootstrap token, autoAssign, the system. */
const RESERVED = new Set(['admin', 'auto', 'system', 'unknown']);
const MAX_HOSTS = 100;

/**
 * Creating and revoking API tokens, each with its audit entry in the same transaction.
 * Refusals: INVALID_BODY, UNKNOWN_FIELD, INVALID_TOKEN_NAME, TOKEN_NAME_TAKEN, UNKNOWN_ROLE,
 * HOSTS_REQUIRED, HOSTS_NOT_ALLOWED, INVALID_HOST_PATTERN; TOKEN_NOT_FOUND on revoke.
 */
@Injectable()
export class TokensService {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly tokens: TokenStore,
    private readonly audit: AuditStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(body: unknown, by: string): Promise<TokenView & { secret: string }> {
    const input = parseCreateToken(body);
    const at = this.clock.now();
    return this.ds.transaction(async (m) => {
      if (await this.tokens.liveNameTaken(m, input.name)) {
        throw new ApiError(409, 'TOKEN_NAME_TAKEN', `a live token is already named "${input.name}"; choose another name or revoke it first`);
      }
      const { secret, token } = await this.tokens.create(m, { ...input, by, at }).catch((e: { code?: string }) => {
        // Two creations with one name at once: the unique index decides.
        if (e.code === '23505') throw new ApiError(409, 'TOKEN_NAME_TAKEN', `a live token is already named "${input.name}"; choose another name`);
        throw e;
      });
      await this.audit.append(m, { at, kind: 'token.created', actor: by, subject: token.id, details: { name: token.name, role: token.role, hosts: token.hosts } });
      return { ...token, secret };
    });
  }

  list(): Promise<TokenView[]> {
    return this.tokens.list();
  }

  async revoke(id: string, by: string): Promise<TokenView> {
    if (!isUuid(id)) throw new ApiError(404, 'TOKEN_NOT_FOUND', `no token ${id}; GET /api/v1/tokens lists them`);
    const at = this.clock.now();
    return this.ds.transaction(async (m) => {
      const out = await this.tokens.revoke(m, id, by, at);
      if (!out) throw new ApiError(404, 'TOKEN_NOT_FOUND', `no token ${id}; GET /api/v1/tokens lists them`);
      if (out.changed) {
        await this.audit.append(m, { at, kind: 'token.revoked', actor: by, subject: id, details: { name: out.token.name, role: out.token.role } });
      }
      return out.token;
    });
  }
}

/** Checks a POST /api/v1/tokens body; pure. */
export function parseCreateToken(body: unknown): { name: string; role: Role; hosts: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'INVALID_BODY', 'send a JSON object: {"name": "...", "role": "viewer"}');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.length) throw new ApiError(400, 'UNKNOWN_FIELD', `unknown field(s) ${unknown.join(', ')}; allowed: ${[...FIELDS].join(', ')}`);
  if (typeof b.name !== 'string' || !NAME.test(b.name) || RESERVED.has(b.name.toLowerCase())) {
    throw new ApiError(400, 'INVALID_TOKEN_NAME', `\`name\` must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit, and not ${[...RESERVED].join(', ')}`);
  }
  if (!isRole(b.role)) throw new ApiError(400, 'UNKNOWN_ROLE', `\`role\` must be one of ${ROLES.join(', ')}`);
  if (!isHostScoped(b.role)) {
    if (b.hosts !== undefined) throw new ApiError(400, 'HOSTS_NOT_ALLOWED', `\`hosts\` is for the requester and agent roles only; a ${b.role} token is not limited by host`);
    return { name: b.name, role: b.role, hosts: [] };
  }
  if (!Array.isArray(b.hosts) || b.hosts.length === 0 || b.hosts.length > MAX_HOSTS) {
    throw new ApiError(400, 'HOSTS_REQUIRED', `a ${b.role} token needs \`hosts\`: 1–${MAX_HOSTS} host names or "*.<domain>" patterns, e.g. ["*.web.example.com"]`);
  }
  for (const h of b.hosts) {
    const problem = hostPatternProblem(h);
    if (problem) throw new ApiError(400, 'INVALID_HOST_PATTERN', problem);
  }
  return { name: b.name, role: b.role, hosts: [...new Set((b.hosts as string[]).map(normalizeHost))] };
}
