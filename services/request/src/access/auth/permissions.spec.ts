import { PERMISSIONS, ROLES, can, isHostBound, isHostScoped, isRole, rolesWith, type Permission, type Role } from './permissions';

// The whole table spelled out as sentences, so a change to a role's reach shows up here.
const T = true;
const F = false;
// The whole table spelled out, so a change to a role's reach shows up here.
// Columns: read, catalog:read, operations:read, request:submit, request:write, trust:write, certificate:revoke, audit:read, tokens:manage.
const ROWS: Record<Role, boolean[]> = {
  admin: [T, T, T, T, T, T, T, T, T],
  'trust-admin': [T, T, T, F, F, T, T, T, F],
  requester: [T, T, F, T, T, F, F, F, F],
  viewer: [T, T, T, F, F, F, F, T, F],
  agent: [T, F, F, T, F, F, F, F, F],
};
const EXPECTED = Object.fromEntries(
  Object.entries(ROWS).map(([role, row]) => [role, Object.fromEntries(PERMISSIONS.map((p, i) => [p, row[i]]))]),
) as Record<Role, Record<Permission, boolean>>;

describe('permissions', () => {
  for (const role of ROLES) {
    describe(`when the caller is ${role}`, () => {
      for (const p of PERMISSIONS) {
        it(`${EXPECTED[role][p] ? 'may' : 'may not'} ${p}`, () => {
          expect(can(role, p)).toBe(EXPECTED[role][p]);
        });
      }
    });
  }

  describe('rolesWith', () => {
    it('names the roles that may do a thing, for the 403 message', () => {
      expect(rolesWith('trust:write')).toEqual(['admin', 'trust-admin']);
      expect(rolesWith('tokens:manage')).toEqual(['admin']);
      expect(rolesWith('read')).toEqual([...ROLES]);
      expect(rolesWith('request:submit')).toEqual(['admin', 'requester', 'agent']);
      expect(rolesWith('request:write')).toEqual(['admin', 'requester']);
      expect(rolesWith('catalog:read')).not.toContain('agent');
    });
  });

  describe('isHostScoped', () => {
    it('limits the requester and the agent to their host patterns', () => {
      expect(ROLES.filter(isHostScoped)).toEqual(['requester', 'agent']);
    });
  });

  describe('isHostBound', () => {
    it('applies host patterns to reads of host data and to request writes, not to catalogue reads', () => {
      expect(PERMISSIONS.filter(isHostBound)).toEqual(['read', 'request:submit', 'request:write']);
    });
  });

  describe('isRole', () => {
    it('accepts the five roles and nothing else', () => {
      expect(ROLES.every(isRole)).toBe(true);
      for (const bad of ['Admin', 'root', '', null, 3]) expect(isRole(bad)).toBe(false);
    });
  });
});
