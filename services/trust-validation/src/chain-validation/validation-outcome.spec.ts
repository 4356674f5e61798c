import { ChainCompleteV1, ChainIncompleteV1, RequestFailedV1 } from '@certflow/contracts';
import { thumbprintSha1 } from '@certflow/pki';
import { TestPki } from '@certflow/testing';
import { outcomeEvent, sameGaps, toOutcome } from './validation-outcome';

describe('validation outcome', () => {
  const requestId = 'r-1';
  const thumbprint = 'A'.repeat(40);
  const issued = { requestId, thumbprint, certificate: 'LEAF PEM', chain: ['INTERMEDIATE PEM'] };

  describe('when the chain is complete', () => {
    it('gives the path leaf → root as thumbprints and PEM, and a chain.complete event', async () => {
      const pki = await TestPki.create();
      const leaf = (await pki.leafFor({ host: 'a.example.com' })).certificate;
      const outcome = toOutcome({ status: 'complete', path: [leaf, pki.intermediate.certificate, pki.root.certificate] });
      expect(outcome).toMatchObject({ status: 'complete', path: [thumbprintSha1(leaf), thumbprintSha1(pki.intermediate.certificate), thumbprintSha1(pki.root.certificate)] });
      const event = outcomeEvent(issued, outcome, { revalidated: true });
      expect(event.type).toBe(ChainCompleteV1.subject);
      expect(event.data).toMatchObject({ requestId, thumbprint, revalidated: true, certificate: 'LEAF PEM', chain: ['INTERMEDIATE PEM'] });
    });
  });

  describe('when an issuer is missing', () => {
    it('names the gap, waits on its keys, and gives a chain.incomplete event', () => {
      const missing = [{ kind: 'root' as const, subject: 'CN=R', authorityKeyIdentifier: 'AB' }];
      const outcome = toOutcome({ status: 'incomplete', partialPath: [], missing, reasons: ['import the root'] });
      expect(outcome).toEqual({ status: 'incomplete', missing, reasons: ['import the root'], waitingOn: ['aki:AB', 'dn:cn=r'] });
      const event = outcomeEvent(issued, outcome);
      expect(event.type).toBe(ChainIncompleteV1.subject);
      expect(event.data).toMatchObject({ certificate: 'LEAF PEM', chain: ['INTERMEDIATE PEM'] });
    });

    it('is invalid (ChainUnbuildable) when no gap is named, since no import can close it', () => {
      expect(toOutcome({ status: 'incomplete', partialPath: [], missing: [], reasons: ['stuck'] })).toMatchObject({ status: 'invalid', code: 'ChainUnbuildable' });
    });
  });

  describe('when the certificate is invalid', () => {
    it('fails the request at the validation stage with the code and the reasons as the message', () => {
      const outcome = toOutcome({ status: 'invalid', code: 'CertificateExpired', reasons: ['It expired.', 'Renew it.'] });
      const event = outcomeEvent(issued, outcome);
      expect(event.type).toBe(RequestFailedV1.subject);
      expect(event.data).toEqual({ requestId, stage: 'validation', code: 'CertificateExpired', message: 'It expired. Renew it.' });
    });
  });

  it('tells when a re-validation found the same gaps', () => {
    expect(sameGaps(['aki:AB', 'dn:cn=r'], ['aki:AB', 'dn:cn=r'])).toBe(true);
    expect(sameGaps(['dn:cn=r'], ['dn:cn=i'])).toBe(false);
    expect(sameGaps(null, [])).toBe(false);
  });
});
