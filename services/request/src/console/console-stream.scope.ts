import { hostAllowed } from '../access/auth/host-pattern';
import { isHostScoped } from '../access/auth/permissions';
import type { Caller } from '../access/auth/token.guard';

/**
 * What one stream may see: every event (`null`), or only events about a host matching one of these
 * patterns — the case for host-scoped roles (requester, agent), whose reads reach their hosts only.
 */
export type StreamScope = readonly string[] | null;

/** The scope of a caller's stream: its host patterns when its role is host-scoped, else everything. */
export function streamScopeOf(caller: Pick<Caller, 'role' | 'hosts'>): StreamScope {
  return isHostScoped(caller.role) ? (caller.hosts ?? []) : null;
}

/**
 * Whether an event about `host` (undefined: it names none, e.g. a trust-store change) may go to a
 * stream of `scope`. Pure. Fails closed: a scoped stream never gets an event whose host is unknown.
 */
export function visibleIn(scope: StreamScope, host: string | undefined): boolean {
  if (scope === null) return true;
  return typeof host === 'string' && host.length > 0 && hostAllowed(scope, host);
}
