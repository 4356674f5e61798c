import { PERMISSIONS, ROLES, can, isHostScoped, isRole, rolesWith, type Permission, type Role } from './permissions';

// The whole table spelled out as sentences, so a change to a role's reach shows up here.
const EXPECTED: Record<Role, Record<Permission, boolean>> = {
  admin: { read: true, 'request:write': true, 'trust:write': true, 'audit:read': true, 'tokens:manage': true },
  'trust-admin': { read: true, 'request:write': false, 'trust:write': true, 'audit:read': true, 'tokens:manage': false },
  requester: { read: true, 'request:write': true, 'trust:write': false, 'audit:read': false, 'tokens:manage': false },
  viewer: { read: true, 'request:write': false, 'trust:write': false, 'audit:read': true, 'tokens:manage': false },
};

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
    });
  });

  describe('isHostScoped', () => {
    it('limits only the requester to its host patterns', () => {
      expect(ROLES.filter(isHostScoped)).toEqual(['requester']);
    });
  });

  describe('isRole', () => {
    it('accepts the four roles and nothing else', () => {
      expect(ROLES.every(isRole)).toBe(true);
      for (const bad of ['Admin', 'root', '', null, 3]) expect(isRole(bad)).toBe(false);
    });
  });
});
