import { serviceRoleNames } from './service-roles.names';

describe('serviceRoleNames', () => {
  describe('when the database and schema names are short', () => {
    it('reads <database>_<schema>_owner and <database>_<schema>_app', () => {
      expect(serviceRoleNames('certflow', 'ca_gateway')).toEqual({ owner: 'certflow_ca_gateway_owner', app: 'certflow_ca_gateway_app' });
    });
  });

  describe('when the names would pass the 63-byte limit', () => {
    const long = 'certflow_e2e_' + 'x'.repeat(60);
    it('shortens them within 63 bytes, keeping a readable prefix and the role kind', () => {
      const names = serviceRoleNames(long, 'trust_validation');
      for (const n of Object.values(names)) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63);
      expect(names.owner).toMatch(/^certflow_e2e_x+_[0-9a-f]{10}_owner$/);
      expect(names.app).toMatch(/_app$/);
    });

    it('keeps two databases that share a long prefix apart', () => {
      expect(serviceRoleNames(long + 'a', 'request').app).not.toBe(serviceRoleNames(long + 'b', 'request').app);
    });
  });

  describe('when the database name has characters a plain identifier cannot hold', () => {
    it('gives a plain lower-case name that still differs from the plain look-alike', () => {
      const odd = serviceRoleNames('Cert-Flow', 'request').app;
      expect(odd).toMatch(/^[a-z0-9_]+$/);
      expect(odd).not.toBe(serviceRoleNames('cert_flow', 'request').app);
    });
  });
});
