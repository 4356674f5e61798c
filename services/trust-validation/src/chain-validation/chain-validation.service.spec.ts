import { thumbprintSha1 } from '@certflow/pki';
import { fixedClock, TestPki, type IssuedLeaf } from '@certflow/testing';
import { DEFAULT_MAX_CHAIN_CERTIFICATES, TrustValidationConfigSchema } from '../config';
import { ChainValidationService, type IssuedCertificate } from './chain-validation.service';

describe('ChainValidationService', () => {
  let pki: TestPki;
  let leaf: IssuedLeaf;
  const clock = fixedClock(new Date().toISOString());

  beforeAll(async () => {
    pki = await TestPki.create();
    leaf = await pki.leafFor({ host: 'chain-limit.example.com' });
  });

  const issued = (chain: string[]): IssuedCertificate => ({ requestId: 'r-1', thumbprint: thumbprintSha1(leaf.certificate), certificate: leaf.pem, chain });
  const stores = () => ({ roots: [pki.root.certificate], intermediates: [] });
  /** Text that no parser takes: were any of it read, the outcome would say so instead. */
  const unreadable = (n: number) => Array.from({ length: n }, (_, i) => `not a certificate #${i + 1}`);

  describe('when the chain a CA returned has more certificates than CERTFLOW_MAX_CHAIN_CERTIFICATES', () => {
    it('is invalid with ChainTooLong, naming the count and the limit, without reading the chain', async () => {
      const service = new ChainValidationService(clock, { CERTFLOW_MAX_CHAIN_CERTIFICATES: 3 });
      const checked = await service.check(issued([pki.intermediate.pem, ...unreadable(3)]), stores());
      expect(checked.outcome).toEqual({
        status: 'invalid',
        code: 'ChainTooLong',
        message: expect.stringMatching(/^The CA returned 4 chain certificates with the certificate; at most 3 are accepted \(CERTFLOW_MAX_CHAIN_CERTIFICATES\)\./),
        reasons: [expect.any(String)],
      });
      expect(checked.seen).toEqual([]);
    });

    it('applies the default of 10 when the service is given no configuration', async () => {
      const service = new ChainValidationService(clock);
      const checked = await service.check(issued([pki.intermediate.pem, ...unreadable(DEFAULT_MAX_CHAIN_CERTIFICATES)]), stores());
      expect(checked.outcome).toMatchObject({ status: 'invalid', code: 'ChainTooLong', message: expect.stringContaining('returned 11 chain certificates') });
    });
  });

  describe('when the chain has exactly as many certificates as allowed', () => {
    it('validates it as before: the path completes through the provided intermediate', async () => {
      const service = new ChainValidationService(clock, { CERTFLOW_MAX_CHAIN_CERTIFICATES: 2 });
      const checked = await service.check(issued([pki.intermediate.pem, pki.root.pem]), stores());
      expect(checked.outcome).toMatchObject({ status: 'complete', path: [thumbprintSha1(leaf.certificate), thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)] });
    });

    it('ignores an unreadable extra certificate within the limit, as before', async () => {
      const service = new ChainValidationService(clock, { CERTFLOW_MAX_CHAIN_CERTIFICATES: 2 });
      const checked = await service.check(issued([pki.intermediate.pem, ...unreadable(1)]), stores());
      expect(checked.outcome.status).toBe('complete');
    });
  });

  describe('CERTFLOW_MAX_CHAIN_CERTIFICATES', () => {
    const problemOf = (value: string) => {
      const parsed = TrustValidationConfigSchema.safeParse({ CERTFLOW_MAX_CHAIN_CERTIFICATES: value });
      return parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };

    it('defaults to 10 and takes 1 to 100', () => {
      expect(TrustValidationConfigSchema.parse({}).CERTFLOW_MAX_CHAIN_CERTIFICATES).toBe(10);
      expect(TrustValidationConfigSchema.parse({ CERTFLOW_MAX_CHAIN_CERTIFICATES: '1' }).CERTFLOW_MAX_CHAIN_CERTIFICATES).toBe(1);
      expect(TrustValidationConfigSchema.parse({ CERTFLOW_MAX_CHAIN_CERTIFICATES: '100' }).CERTFLOW_MAX_CHAIN_CERTIFICATES).toBe(100);
    });

    it.each([
      ['0', /must be at least 1/],
      ['101', /must be at most 100/],
      ['2.5', /must be a whole number of certificates from 1 to 100/],
      ['ten', /must be a whole number of certificates from 1 to 100/],
    ])('refuses %s, saying what is valid', (value, message) => {
      expect(problemOf(value)).toMatch(new RegExp(`^CERTFLOW_MAX_CHAIN_CERTIFICATES: ${message.source}`));
    });
  });
});
