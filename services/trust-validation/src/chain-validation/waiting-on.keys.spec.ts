import { issuerKeysOf, waitingOnKeys } from './waiting-on.keys';

describe('waiting-on keys', () => {
  describe('when a validation misses issuers', () => {
    it('keys a missing root by its key identifier and by its subject', () => {
      expect(waitingOnKeys([{ kind: 'root', subject: 'CN=Acme Root, O=Acme', authorityKeyIdentifier: 'ab:cd:01' }])).toEqual([
        'aki:ABCD01',
        'dn:cn=acme root, o=acme',
      ]);
    });

    it('keys a missing issuer without a key identifier by its subject only', () => {
      expect(waitingOnKeys([{ kind: 'intermediate', subject: 'CN=Issuing  CA' }])).toEqual(['dn:cn=issuing ca']);
    });

    it('lists each key once when two gaps name the same issuer', () => {
      const gap = { kind: 'intermediate' as const, subject: 'CN=Sub', authorityKeyIdentifier: 'AA' };
      expect(waitingOnKeys([gap, { ...gap }])).toEqual(['aki:AA', 'dn:cn=sub']);
    });

    it('ignores a key identifier that is not hex', () => {
      expect(waitingOnKeys([{ kind: 'root', subject: 'CN=R', authorityKeyIdentifier: 'not-hex' }])).toEqual(['dn:cn=r']);
    });
  });

  describe('when a certificate is imported', () => {
    it('yields the keys of a gap it closes', () => {
      const waiting = waitingOnKeys([{ kind: 'root', subject: 'CN=Acme Root, O=Acme', authorityKeyIdentifier: 'abcd01' }]);
      const imported = issuerKeysOf([{ subject: 'CN=ACME Root, O=Acme', subjectKeyIdentifier: 'ABCD01' }]);
      expect(imported).toEqual(waiting);
    });

    it('yields only its subject when it has no subject key identifier', () => {
      expect(issuerKeysOf([{ subject: 'CN=Old Root', subjectKeyIdentifier: null }])).toEqual(['dn:cn=old root']);
    });
  });
});
