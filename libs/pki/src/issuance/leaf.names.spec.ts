import { compareNames, comparableName, namesToCertify } from './leaf.names';

describe(namesToCertify, () => {
  describe('when the host is among the CSR SANs', () => {
    it('keeps the SANs as they are, once each', () => {
      expect(namesToCertify({ dnsNames: ['alias.example.com', 'Host.example.com', 'ALIAS.example.com.'], ipAddresses: ['10.0.0.1'] }, 'host.example.com')).toEqual({
        dnsNames: ['alias.example.com', 'Host.example.com'],
        ipAddresses: ['10.0.0.1'],
      });
    });
  });

  describe('when the host is only in a CN (or nowhere in the SANs)', () => {
    it('puts it first among the DNS names', () => {
      expect(namesToCertify({ dnsNames: ['alias.example.com'], ipAddresses: [] }, 'host.example.com')).toEqual({ dnsNames: ['host.example.com', 'alias.example.com'], ipAddresses: [] });
    });
    it('puts an address host among the IP names', () => {
      expect(namesToCertify({ dnsNames: [], ipAddresses: [] }, '10.0.0.9')).toEqual({ dnsNames: [], ipAddresses: ['10.0.0.9'] });
    });
  });
});

describe(compareNames, () => {
  it('ignores case, a trailing dot and the spelling of an IPv6 address', () => {
    expect(compareNames(['Host.example.com', '2001:db8::1'], ['host.example.com.', '2001:DB8:0:0:0:0:0:1'])).toEqual({ missing: [], extra: [] });
  });
  it('lists what is missing and what is extra', () => {
    expect(compareNames(['a.example.com', 'b.example.com'], ['b.example.com', 'c.example.com'])).toEqual({ missing: ['a.example.com'], extra: ['c.example.com'] });
  });
  it('compares names in the form comparableName gives', () => {
    expect(comparableName(' WEB.Example.com. ')).toBe('web.example.com');
  });
});
