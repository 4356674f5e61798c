import { parseCertificate } from '@certflow/pki';
import { TestPki } from '@certflow/testing';
import { certificateValidity } from './certificate-validity';

describe('certificateValidity', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await TestPki.create();
  });

  it.each([
    ['a UTCTime validity', new Date('2030-01-02T03:04:05Z'), new Date('2030-04-02T03:04:05Z')],
    ['a GeneralizedTime notAfter (2050 and later)', new Date('2049-06-01T00:00:00Z'), new Date('2051-06-01T00:00:00Z')],
  ])('reads %s as @peculiar/x509 does', async (_, notBefore, notAfter) => {
    const leaf = await pki.leafFor({ host: 'v.example.com', eku: ['serverAuth'], notBefore, notAfter });
    const v = certificateValidity(leaf.pem);
    expect(v).toEqual({ notBefore, notAfter });
    const cert = parseCertificate(leaf.pem);
    expect(v).toEqual({ notBefore: cert.notBefore, notAfter: cert.notAfter });
  });

  it('throws on text that is no certificate', () => {
    expect(() => certificateValidity('not a certificate')).toThrow();
  });
});
