import type { Usage } from '@certflow/contracts';
import { assessUsageFitness, noUsageFitsMessage, type FitnessInput } from './usage-fitness';

const ALL: Usage[] = ['Default', 'WebServicesInternal', 'WebServicesExternal'];
const names = (dnsNames: string[], ipAddresses: string[] = [], commonName?: string) => ({ dnsNames, ipAddresses, commonName });

interface Case {
  input: FitnessInput;
  fits: Usage[];
  refused?: Partial<Record<Usage, string>>;
}

const cases: Record<string, Case> = {
  'a server-and-client certificate for the host fits every usage': {
    input: { host: 'pool.example.com', usages: ALL, extendedKeyUsage: ['serverAuth', 'clientAuth'], names: names(['pool.example.com']) },
    fits: ALL,
  },
  'a certificate without an EKU extension fits every usage': {
    input: { host: 'pool.example.com', usages: ALL, extendedKeyUsage: null, names: names(['pool.example.com']) },
    fits: ALL,
  },
  'a certificate whose EKU is anyExtendedKeyUsage fits every usage': {
    input: { host: 'pool.example.com', usages: ALL, extendedKeyUsage: ['anyExtendedKeyUsage'], names: names(['pool.example.com']) },
    fits: ALL,
  },
  'a serverAuth-only certificate is not bound to Default, for lack of client authentication': {
    input: { host: 'pool.example.com', usages: ALL, extendedKeyUsage: ['serverAuth'], names: names(['pool.example.com']) },
    fits: ['WebServicesInternal', 'WebServicesExternal'],
    refused: { Default: 'MissingClientAuth' },
  },
  'a clientAuth-only certificate fits no usage, each for lack of server authentication': {
    input: { host: 'pool.example.com', usages: ALL, extendedKeyUsage: ['clientAuth'], names: names(['pool.example.com']) },
    fits: [],
    refused: { Default: 'MissingServerAuth', WebServicesInternal: 'MissingServerAuth', WebServicesExternal: 'MissingServerAuth' },
  },
  'a certificate for another host fits no usage': {
    input: { host: 'other.example.com', usages: ['WebServicesExternal'], extendedKeyUsage: ['serverAuth'], names: names(['pool.example.com']) },
    fits: [],
    refused: { WebServicesExternal: 'HostNotInCertificate' },
  },
  'the host matches a DNS name whatever its case': {
    input: { host: 'POOL.Example.com', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['pool.EXAMPLE.com']) },
    fits: ['WebServicesInternal'],
  },
  'a wildcard covers one left-most label': {
    input: { host: 'web01.example.com', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['*.example.com']) },
    fits: ['WebServicesInternal'],
  },
  'a wildcard does not cover two labels': {
    input: { host: 'a.web01.example.com', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['*.example.com']) },
    fits: [],
    refused: { WebServicesInternal: 'HostNotInCertificate' },
  },
  'a wildcard does not cover the bare domain': {
    input: { host: 'example.com', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['*.example.com']) },
    fits: [],
    refused: { WebServicesInternal: 'HostNotInCertificate' },
  },
  'a wildcard over a top-level domain matches nothing': {
    input: { host: 'example.com', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['*.com']) },
    fits: [],
    refused: { WebServicesInternal: 'HostNotInCertificate' },
  },
  'an IP host matches an IP SAN in another spelling': {
    input: { host: '2001:db8::1', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names([], ['2001:0db8:0:0:0:0:0:0001']) },
    fits: ['WebServicesInternal'],
  },
  'an IP host does not match a DNS SAN that looks like it': {
    input: { host: '10.0.0.1', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['10.0.0.2'], ['10.0.0.2']) },
    fits: [],
    refused: { WebServicesInternal: 'HostNotInCertificate' },
  },
  'the common name counts when the certificate has no SAN': {
    input: { host: 'legacy.example.com', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names([], [], 'legacy.example.com') },
    fits: ['WebServicesInternal'],
  },
  'the common name does not count when the certificate has a SAN': {
    input: { host: 'legacy.example.com', usages: ['WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['other.example.com'], [], 'legacy.example.com') },
    fits: [],
    refused: { WebServicesInternal: 'HostNotInCertificate' },
  },
  'a wrong host is named before a missing EKU when both are wrong': {
    input: { host: 'other.example.com', usages: ['Default'], extendedKeyUsage: ['serverAuth'], names: names(['pool.example.com']) },
    fits: [],
    refused: { Default: 'HostNotInCertificate' },
  },
  'a usage asked twice is assessed once': {
    input: { host: 'pool.example.com', usages: ['WebServicesInternal', 'WebServicesInternal'], extendedKeyUsage: ['serverAuth'], names: names(['pool.example.com']) },
    fits: ['WebServicesInternal'],
  },
};

describe('usage fitness', () => {
  it.each(Object.entries(cases))('%s', (_sentence, c) => {
    const result = assessUsageFitness(c.input);
    expect(result.fits).toEqual(c.fits);
    const refused = Object.fromEntries(result.notBound.map((r) => [r.usage, r.code]));
    expect(refused).toEqual(c.refused ?? {});
  });

  describe('when a usage is refused', () => {
    it('says why in plain words, naming every problem', () => {
      const { notBound } = assessUsageFitness({ host: 'x.example.com', usages: ['Default'], extendedKeyUsage: ['codeSigning'], names: names(['pool.example.com']) });
      expect(notBound).toHaveLength(1);
      expect(notBound[0].reason).toContain('not for x.example.com');
      expect(notBound[0].reason).toContain('pool.example.com');
      expect(notBound[0].reason).toContain('server authentication');
      expect(notBound[0].reason).toContain('client authentication');
    });

    it('lists every usage in the message when none fits', () => {
      const { notBound } = assessUsageFitness({ host: 'pool.example.com', usages: ALL, extendedKeyUsage: ['clientAuth'], names: names(['pool.example.com']) });
      const message = noUsageFitsMessage('pool.example.com', notBound);
      for (const usage of ALL) expect(message).toContain(`${usage}:`);
    });
  });
});
