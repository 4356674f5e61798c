import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../http/api-error';
import { ALLOW, type AllowSpec } from './allow.decorator';
import { fixedAdminToken, type AdminTokenSource } from './admin-token';
import { hostAllowed } from './host-pattern';
import { can, isHostBound, isHostScoped, rolesWith, type Role } from './permissions';
import { REQUEST_HOST_LOOKUP, type RequestHostLookup } from './request-host.lookup';
import { TOKEN_AUTHENTICATOR, type TokenAuthenticator, type TokenIdentity } from './token-authenticator';

export const ADMIN_TOKEN = 'ADMIN_TOKEN';
const PUBLIC = 'certflow:public';
/** Marks a route that needs no token (health probes, API docs). */
export const Public = () => SetMetadata(PUBLIC, true);

/** Who made a call; `name` is recorded as the actor of trust-store changes, assignments and token changes. */
export interface Caller {
  name: string;
  role: Role;
  /** Absent for the bootstrap admin token, which has no row. */
  tokenId?: string;
  /** Host patterns of a host-scoped role. */
  hosts?: string[];
}

type CallerRequest = Request & { caller?: Caller };

/**
 * The host patterns a caller's reads are limited to, or null when it reads everything. Routes marked
 * `@Allow('read', { host: 'filtered' })` pass this to their query.
 */
export function hostScopeOf(caller: Caller | undefined): readonly string[] | null {
  if (!caller) return [];
  return isHostScoped(caller.role) ? (caller.hosts ?? []) : null;
}

/** Parameter decorator: `hostScopeOf` the authenticated caller. */
export const HostScope = createParamDecorator((_: unknown, ctx: ExecutionContext) => hostScopeOf(ctx.switchToHttp().getRequest<CallerRequest>().caller));

/**
 * Every /api/v1 route needs `Authorization: Bearer <token>`: the bootstrap admin token
 * (CERTFLOW_ADMIN_TOKEN or .certflow/admin.token, compared as SHA-256 digests in constant time) or
 * a token made through /api/v1/tokens (found by the SHA-256 of its secret; revoked ones are not).
 * Then the route's `@Allow(permission)` is checked against the token's role (permissions.ts), and a
 * host-scoped caller's (requester, agent) host against its patterns, where the route says the host is.
 */
@Injectable()
export class TokenGuard implements CanActivate {
  private readonly admin: AdminTokenSource;

  constructor(
    private readonly reflector: Reflector,
    /** The token itself, or a source that follows the token file as it is rotated. */
    @Inject(ADMIN_TOKEN) adminToken: string | AdminTokenSource,
    @Inject(TOKEN_AUTHENTICATOR) private readonly tokens: TokenAuthenticator,
    @Inject(REQUEST_HOST_LOOKUP) private readonly requests: RequestHostLookup,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.admin = typeof adminToken === 'string' ? fixedAdminToken(adminToken) : adminToken;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // The app's JetStream handlers share its global enhancers; events carry no bearer token.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<CallerRequest>();
    const caller = await this.authenticate(req);
    const spec = this.reflector.getAllAndOverride<AllowSpec | undefined>(ALLOW, targets);
    await this.authorize(caller, spec, req);
    req.caller = caller;
    return true;
  }

  private async authenticate(req: CallerRequest): Promise<Caller> {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'send `Authorization: Bearer <token>`; the admin token is in .certflow/admin.token');
    }
    const adminDigest = this.admin.digest();
    if (adminDigest && timingSafeEqual(digest(match[1]), adminDigest)) return { name: 'admin', role: 'admin' };
    const token: TokenIdentity | null = await this.tokens.authenticate(match[1], this.clock.now());
    if (!token) throw new ApiError(401, 'UNAUTHENTICATED', 'the bearer token is not valid (unknown or revoked)');
    return { name: token.name, role: token.role, tokenId: token.id, hosts: token.hosts };
  }

  private async authorize(caller: Caller, spec: AllowSpec | undefined, req: CallerRequest): Promise<void> {
    if (!spec) {
      // Fail closed: a route nobody marked is for admin only.
      if (caller.role !== 'admin') throw forbidden(['admin'], caller.role);
      return;
    }
    if (!can(caller.role, spec.permission)) throw forbidden(rolesWith(spec.permission), caller.role);
    if (isHostScoped(caller.role) && isHostBound(spec.permission)) await this.checkHosts(caller, spec, req);
  }

  private async checkHosts(caller: Caller, spec: AllowSpec, req: CallerRequest): Promise<void> {
    const patterns = caller.hosts ?? [];
    const refuse = (names: string[]) => hostNotAllowed(caller, names);
    if (spec.host === 'body') {
      const body = req.body as { host?: unknown; csr?: unknown } | undefined;
      // Malformed bodies are left to the route, which answers 400 with the precise code.
      if (typeof body?.host !== 'string') return;
      if (!hostAllowed(patterns, body.host)) throw refuse([body.host]);
      if (typeof body.csr !== 'string') return;
      // The certificate will carry every name of the CSR, so each one must be the token's to ask for.
      const names = await this.requests.csrNames(body.csr, body.host);
      const outside = (names ?? []).filter((n) => !hostAllowed(patterns, n));
      if (outside.length) throw refuse(outside);
      return;
    }
    // The route checks each item's host itself and answers a refusal in that item's slot.
    if (spec.host === 'items') return;
    if (spec.host === 'request') {
      const id = (req.params as Record<string, string> | undefined)?.id;
      const host = id ? await this.requests.hostOf(id) : null;
      if (host === null || hostAllowed(patterns, host)) return;
      // Answered as for a missing request, so a scoped token cannot learn which ids exist.
      throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id}`);
    }
    if (spec.host === 'path') {
      const host = (req.params as Record<string, string> | undefined)?.host;
      if (typeof host === 'string' && !hostAllowed(patterns, host)) throw refuse([host]);
      return;
    }
    if (spec.host === 'filtered' && spec.permission === 'read') return;
    // A route that does not say where a host-scoped caller's host is: refuse rather than guess.
    throw forbidden(['admin'], caller.role);
  }
}

/** 403 HOST_NOT_ALLOWED: `refused` are names outside the host-scoped caller's patterns. */
export function hostNotAllowed(caller: Caller, refused: string[]): ApiError {
  const patterns = caller.hosts ?? [];
  return new ApiError(
    403,
    'HOST_NOT_ALLOWED',
    `token "${caller.name}" may only reach hosts matching ${patterns.join(', ') || '(no patterns)'}; not ${refused.join(', ')}. Ask an admin for a token that covers them`,
    { hosts: patterns, refused },
  );
}

function forbidden(roles: Role[], role: Role): ApiError {
  return new ApiError(403, 'FORBIDDEN', `this needs the role ${roles.join(' or ')}; the token's role is ${role}`, { needs: roles, role });
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
