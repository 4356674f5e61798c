/**
 * Who may do what through the public API. Pure: the guard reads this table and nothing else, so
 * a role's reach is decided in one place and tested here, not scattered over the controllers.
 */

/** A token's role. `admin` is also the role of the bootstrap admin token (CERTFLOW_ADMIN_TOKEN). */
export const ROLES = ['admin', 'trust-admin', 'requester', 'viewer', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route needs. Each /api/v1 route names exactly one with `@Allow(...)`.
 * - `read`: what belongs to a host — requests, counts, certificates, a host's assignments and
 *   events, the event stream. A host-scoped role sees only its hosts (the route filters).
 * - `catalog:read`: what belongs to no host — issuers and trust stores.
 * - `operations:read`: dead letters (payloads of every host's events).
 * - `request:submit`: submit a new request — host-scoped.
 * - `request:write`: assign, upload an offline CA's answer — host-scoped.
 * - `trust:write`: import into / remove from a trust store.
 * - `certificate:revoke`: revoke a certificate at its CA (any host's: a security officer's act).
 * - `audit:read`: read the audit log.
 * - `tokens:manage`: create, list, revoke API tokens.
 */
export const PERMISSIONS = ['read', 'catalog:read', 'operations:read', 'request:submit', 'request:write', 'trust:write', 'certificate:revoke', 'audit:read', 'tokens:manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const TABLE: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  'trust-admin': ['read', 'catalog:read', 'operations:read', 'trust:write', 'certificate:revoke', 'audit:read'],
  requester: ['read', 'catalog:read', 'request:submit', 'request:write'],
  viewer: ['read', 'catalog:read', 'operations:read', 'audit:read'],
  // A fleet host: reads and renews its own certificates, nothing more (a stolen host token reaches one host).
  agent: ['read', 'request:submit'],
};

/** Roles bound to host patterns: their reads and writes reach only hosts matching the token's patterns. */
const HOST_SCOPED: readonly Role[] = ['requester', 'agent'];

/** Permissions over a host's data: a host-scoped role's call is checked against its patterns (see allow.decorator.ts). */
const HOST_BOUND: readonly Permission[] = ['read', 'request:submit', 'request:write'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return TABLE[role].includes(permission);
}

/** The roles that hold `permission`, for the 403 message ("needs one of admin, trust-admin"). */
export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((r) => can(r, permission));
}

/** Whether the role's reads and writes are limited to its host patterns (tokens of such a role need `hosts`). */
export function isHostScoped(role: Role): boolean {
  return HOST_SCOPED.includes(role);
}

/** Whether a route needing `permission` concerns some host's data, so a host-scoped caller's patterns apply. */
export function isHostBound(permission: Permission): boolean {
  return HOST_BOUND.includes(permission);
}
