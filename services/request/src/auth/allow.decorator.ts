import { SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions';

export const ALLOW = 'certflow:allow';

/**
 * Where a host-scoped caller's host is found on a `request:write` route:
 * - `body`: a new request — its `host` and every name in its `csr` must match the token's patterns;
 * - `request`: the stored request `:id` names the host.
 */
export type HostSource = 'body' | 'request';

export interface AllowSpec {
  permission: Permission;
  host?: HostSource;
}

/**
 * What a route needs (see permissions.ts). Every /api/v1 route carries one; a route without it is
 * for `admin` only, so a route added and forgotten is closed rather than open.
 */
export const Allow = (permission: Permission, opts: { host?: HostSource } = {}) => SetMetadata(ALLOW, { permission, ...opts } satisfies AllowSpec);
