import { SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions';

export const ALLOW = 'certflow:allow';

/**
 * Where a host-scoped caller's (requester, agent) host is found:
 * - `body`: a new request — its `host` and every name in its `csr` must match the token's patterns;
 * - `request`: the stored request `:id` names the host (another host's request answers 404
 *   REQUEST_NOT_FOUND, as a missing one does, so ids cannot be probed);
 * - `path`: the route's `:host` (another host answers 403 HOST_NOT_ALLOWED: the caller named it);
 * - `filtered`: a read that narrows its answer to the caller's hosts itself (lists, counts, lookups);
 * - `items`: a body of many items (a batch) whose route checks each item's host and CSR names itself,
 *   refusing only the items outside the caller's patterns.
 * A host-scoped caller on a route that names none is refused, so a route added and forgotten is closed.
 */
export type HostSource = 'body' | 'request' | 'path' | 'filtered' | 'items';

export interface AllowSpec {
  permission: Permission;
  host?: HostSource;
}

/**
 * What a route needs (see permissions.ts). Every /api/v1 route carries one; a route without it is
 * for `admin` only, so a route added and forgotten is closed rather than open.
 */
export const Allow = (permission: Permission, opts: { host?: HostSource } = {}) => SetMetadata(ALLOW, { permission, ...opts } satisfies AllowSpec);
