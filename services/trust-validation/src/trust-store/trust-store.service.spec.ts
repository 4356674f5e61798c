import { RpcError } from '@certflow/messaging';
import { duplicateSkiExtension, intermediateCaWith, notDerExtension, TestPki, unknownCriticalExtension } from '@certflow/testing';
import { TrustStoreService } from './trust-store.service';

/** checkImport reads and judges the PEM only; nothing of the database, cache or relay is touched. */
const service = () => new TrustStoreService(undefined as never, undefined as never, undefined as never, undefined as never, { CERTFLOW_TRUST_IMPORT_MAX_CERTIFICATES: 10 });

async function refusalOf(attempt: Promise<unknown>): Promise<RpcError> {
  const err = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RpcError);
  return err as RpcError;
}

describe('TrustStoreService.checkImport', () => {
  let pki: TestPki;

  beforeAll(async () => {
    pki = await TestPki.create();
  });

  describe('when an intermediate parses but the path engine finds it damaged', () => {
    it('refuses the whole import with 400 CERTIFICATE_UNPARSABLE, naming the certificate by position and subject', async () => {
      const damaged = await intermediateCaWith(pki.root, 'CN=Broken Issuing CA, O=certflow tests', notDerExtension);
      const err = await refusalOf(service().checkImport('intermediates', pki.intermediate.pem + damaged.pem));
      expect({ code: err.code, status: err.status }).toEqual({ code: 'CERTIFICATE_UNPARSABLE', status: 400 });
      expect(err.message).toMatch(/^Certificate #2 "CN=Broken Issuing CA, O=certflow tests" \([0-9A-F]{40}\) is damaged: the extension 1\.3\.6\.1\.4\.1\.55555\.1 is malformed/);
      expect(err.details).toEqual({ refused: [expect.objectContaining({ code: 'CERTIFICATE_UNPARSABLE', subject: 'CN=Broken Issuing CA, O=certflow tests' })] });
    });

    it('names every damaged certificate and every misfit of the call, and imports none', async () => {
      const damaged = await intermediateCaWith(pki.root, 'CN=Twice Keyed CA, O=certflow tests', duplicateSkiExtension);
      const err = await refusalOf(service().checkImport('intermediates', pki.root.pem + damaged.pem));
      expect(err.code).toBe('NOT_AN_INTERMEDIATE');
      expect(err.message).toMatch(/^Nothing was imported\. .*Import it into the roots store instead\. Certificate #2 "CN=Twice Keyed CA, O=certflow tests" .* is damaged: the extension 2\.5\.29\.14 appears twice/);
      expect((err.details as { refused: { code: string }[] }).refused.map((r) => r.code)).toEqual(['NOT_AN_INTERMEDIATE', 'CERTIFICATE_UNPARSABLE']);
    });

    it('reports the damage before any store rule, in either store', async () => {
      const damagedCa = await intermediateCaWith(pki.root, 'CN=Broken Cross CA, O=certflow tests', notDerExtension);
      const err = await refusalOf(service().checkImport('roots', damagedCa.pem));
      expect(err.code).toBe('CERTIFICATE_UNPARSABLE');
      expect(err.message).toMatch(/^Certificate #1 /);
    });
  });

  describe('when a CA certificate of the right kind could be on no valid path', () => {
    it('refuses the whole import with 400 CA_CERTIFICATE_UNUSABLE, naming the rule validation would give', async () => {
      const unusable = await intermediateCaWith(pki.root, 'CN=Critical Extension CA, O=certflow tests', unknownCriticalExtension);
      const err = await refusalOf(service().checkImport('intermediates', pki.intermediate.pem + unusable.pem));
      expect({ code: err.code, status: err.status }).toEqual({ code: 'CA_CERTIFICATE_UNUSABLE', status: 400 });
      expect(err.message).toMatch(/^Certificate #2 "CN=Critical Extension CA, O=certflow tests" \([0-9A-F]{40}\) cannot serve as an intermediate: .*\(UnknownCriticalExtension\)/);
      expect(err.details).toEqual({ refused: [expect.objectContaining({ code: 'CA_CERTIFICATE_UNUSABLE', rule: 'UnknownCriticalExtension' })] });
    });

    it('reports a store misfit before it: a root sent to intermediates is named as such', async () => {
      const err = await refusalOf(service().checkImport('intermediates', pki.root.pem));
      expect(err.code).toBe('NOT_AN_INTERMEDIATE');
    });
  });

  describe('when every certificate is sound', () => {
    it('passes them on to be stored', async () => {
      const sound = await intermediateCaWith(pki.root, 'CN=Sound Issuing CA, O=certflow tests', async () => []);
      const certs = await service().checkImport('intermediates', pki.intermediate.pem + sound.pem);
      expect(certs.map((c) => c.subject)).toEqual([pki.intermediate.certificate.subject, sound.certificate.subject]);
    });
  });
});
