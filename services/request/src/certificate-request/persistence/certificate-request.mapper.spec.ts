import { REQUEST_STATES, type RequestState } from '@certflow/contracts';
import { evolveAll, type RequestEvent, type RequestSnapshot } from '../domain/certificate-request.state';
import { fromRecord, toRecord } from './certificate-request.mapper';

const T0 = new Date('2026-11-24T10:00:00.000Z');
const T1 = new Date('2026-11-24T10:00:01.000Z');
const TP = 'AB12';
const submitted: RequestEvent = { type: 'Submitted', at: T0, id: 'r1', host: 'web01.example.com', usages: ['Default'], autoAssign: false, issuer: 'offline', friendlyName: 'web', csr: 'CSR' };
const issued: RequestEvent = { type: 'Issued', at: T1, thumbprint: TP, certificate: 'PEM', chain: ['CA'] };
const incomplete: RequestEvent = { type: 'ChainIncomplete', at: T1, missing: [{ kind: 'root', subject: 'CN=Root' }], reasons: ['no root'] };
const complete: RequestEvent = { type: 'ChainCompleted', at: T1, path: [TP, 'ROOT'] };

/** Each state, reached the long way round where there is one (through CHAIN_INCOMPLETE, with an Assign asked for). */
const paths: Record<RequestState, RequestEvent[]> = {
  SUBMITTED: [submitted],
  PENDING: [submitted, { type: 'Pending', at: T1, detail: 'waiting for the upload' }],
  ISSUED: [submitted, issued],
  CHAIN_INCOMPLETE: [submitted, issued, incomplete],
  ASSIGNABLE: [submitted, issued, incomplete, complete, { type: 'AssignmentRequested', at: T1, usages: ['Default'], by: 'operator' }],
  ASSIGNED: [submitted, issued, incomplete, complete, { type: 'Assigned', at: T1, usages: ['Default'], notBound: [] }],
  FAILED: [submitted, issued, incomplete, { type: 'Failed', at: T1, stage: 'validation', code: 'Expired', message: 'expired' }],
  SUPERSEDED: [
    { ...submitted, renewalOf: 'r0', renewBefore: 'P30D', rotationPolicy: 'Never' } as RequestEvent,
    issued,
    complete,
    { type: 'Assigned', at: T1, usages: ['Default'], renewalDueAt: T1 },
    { type: 'Superseded', at: T1, by: 'r2' },
  ],
  REVOKED: [
    submitted,
    issued,
    complete,
    { type: 'Assigned', at: T1, usages: ['Default'], renewalDueAt: T1 },
    { type: 'RevocationRequested', at: T1, reason: 'keyCompromise', actor: 'alice', afterRenewal: false },
    { type: 'Revoked', at: T1, reason: 'keyCompromise', revokedAt: T1, atCa: 'crl-ocsp' },
  ],
};

describe('the request mapper', () => {
  describe('when a request goes to a row and back', () => {
    it.each(REQUEST_STATES)('gives back the same %s request, field for field', (state) => {
      const request = evolveAll(null, paths[state])!;
      expect(request.state).toBe(state);
      expect(fromRecord(toRecord(request))).toEqual(request);
    });

    it('stores whether the request went through CHAIN_INCOMPLETE, which only some states carry', () => {
      const record = (state: RequestState) => toRecord(evolveAll(null, paths[state])!).wasIncomplete;
      expect(REQUEST_STATES.filter(record)).toEqual(['CHAIN_INCOMPLETE', 'ASSIGNABLE', 'ASSIGNED', 'FAILED']);
      expect(record('SUPERSEDED')).toBe(false);
    });

    it("keeps the state's own objects, so an unchanged field is found unchanged without serializing it", () => {
      const request = evolveAll(null, paths.ASSIGNED)! as Extract<RequestSnapshot, { state: 'ASSIGNED' }>;
      expect(toRecord(request).validation).toBe(request.validation);
      expect(toRecord(request).chain).toBe(request.chain);
    });
  });

  describe('when a row does not fit its state', () => {
    it('leaves out the fields another state would have', () => {
      const pending = toRecord(evolveAll(null, paths.PENDING)!);
      expect(fromRecord({ ...pending, state: 'SUBMITTED' })).not.toHaveProperty('pendingDetail');
    });

    it('refuses a row that lacks what its state must have, naming it', () => {
      const record = toRecord(evolveAll(null, paths.ASSIGNABLE)!);
      expect(() => fromRecord({ ...record, state: 'ASSIGNED' })).toThrow('request r1 is ASSIGNED but has no assignment');
      expect(() => fromRecord({ ...record, state: 'CHAIN_INCOMPLETE' })).toThrow('request r1 is CHAIN_INCOMPLETE but its validation is complete');
      expect(() => fromRecord({ ...toRecord(evolveAll(null, paths.PENDING)!), state: 'ISSUED' })).toThrow('has no thumbprint');
    });
  });
});
