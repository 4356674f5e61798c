import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ApiError } from '../http/api-error';

export const ADMIN_TOKEN = 'ADMIN_TOKEN';
const PUBLIC = 'certflow:public';
/** Marks a route that needs no token (health probes, API docs). */
export const Public = () => SetMetadata(PUBLIC, true);

/** Who made a call; recorded as the actor of trust-store changes. */
export interface Caller {
  name: string;
}

/**
 * Every /api/v1 route needs `Authorization: Bearer <token>`. Tokens are compared as SHA-256 digests
 * in constant time, so neither length nor content leaks through timing.
 */
@Injectable()
export class TokenGuard implements CanActivate {
  private readonly adminDigest: Buffer;

  constructor(private readonly reflector: Reflector, @Inject(ADMIN_TOKEN) adminToken: string) {
    this.adminDigest = digest(adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    // The app's JetStream handlers share its global enhancers; events carry no bearer token.
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'send `Authorization: Bearer <token>`; the admin token is in .certflow/admin.token');
    }
    if (!timingSafeEqual(digest(match[1]), this.adminDigest)) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'the bearer token is not valid');
    }
    req.caller = { name: 'admin' };
    return true;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
