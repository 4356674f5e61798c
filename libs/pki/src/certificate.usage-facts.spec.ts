import { createRootCa, issueLeaf } from './certificate-authority.issuer';
import { certificateNames, extendedKeyUsageNames } from './certificate.details';
import { parseCertificate, toPem } from './certificate.parser';
import { certificateUsageFacts } from './certificate.usage-facts';
import { generateKeyPair } from './key-pair.factory';
import { PkiInputError } from './pki-input.error';

describe('certificateUsageFacts', () => {
  it.each([
    ['DNS and IP names, both TLS usages', { subject: 'CN=web.example.com, O=Acme', dnsNames: ['web.example.com', 'alt.example.com'], ipAddresses: ['10.1.2.3', '2001:db8:0:0:0:0:0:7', '2001:0:0:1:0:0:0:1', '::1', 'fe80::'] }],
    ['server authentication only', { subject: 'CN=api.example.com', dnsNames: ['api.example.com'], eku: ['serverAuth' as const] }],
    ['no EKU extension and only a CN', { subject: 'CN=legacy.example.com', eku: [] }],
    ['several CNs (the last one counts)', { subject: 'CN=first.example.com, CN=second.example.com' }],
  ])('reads the same as the general reader for a leaf with %s', async (_what, leaf) => {
    const root = await createRootCa({ subject: 'CN=Usage Facts Root' });
    const keys = await generateKeyPair('ec-p256');
    const pem = toPem(await issueLeaf({ issuer: root, publicKey: keys.publicKey, ...leaf }));
    const cert = parseCertificate(pem);
    const eku = extendedKeyUsageNames(cert);
    expect(certificateUsageFacts(pem)).toEqual({ extendedKeyUsage: eku ? [...eku] : null, names: certificateNames(cert) });
  });

  it('refuses what is not a certificate with the general reader\'s error', () => {
    expect(() => certificateUsageFacts('-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n')).toThrow(PkiInputError);
    expect(() => certificateUsageFacts('nothing')).toThrow(PkiInputError);
  });
});
