/**
 * Who may do what through the public API. Pure: the guard reads this table and nothing else, so
 * a role's reach is decided in one place and tested here, not scattered over the controllers.
 */

/** A token's role. `admin` is also the role of the bootstrap admin token (CERTFLOW_ADMIN_TOKEN). */
export const ROLES = ['admin', 'trust-admin', 'requester', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route needs. Each /api/v1 route names exactly one with `@Allow(...)`.
 * - `read`: any GET of requests, certificates, hosts, issuers, trust stores, counts, the event stream.
 * - `request:write`: submit, assign, upload an offline CA's answer — host-scoped for `requester`.
 * - `trust:write`: import into / remove from a trust store.
 * - `audit:read`: read the audit log.
 * - `tokens:manage`: create, list, revoke API tokens.
 */
export const PERMISSIONS = ['read', 'request:write', 'trust:write', 'audit:read', 'tokens:manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const TABLE: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  'trust-admin': ['read', 'trust:write', 'audit:read'],
  requester: ['read', 'request:write'],
  viewer: ['read', 'audit:read'],
};

/** Roles whose `request:write` only reaches hosts matching the token's patterns. */
const HOST_SCOPED: readonly Role[] = ['requester'];

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

/** Whether the role's writes to requests are limited to its host patterns. */
export function isHostScoped(role: Role): boolean {
  return HOST_SCOPED.includes(role);
}
