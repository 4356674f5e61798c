import { REQUEST_STATES, type RequestState } from '@certflow/contracts';
import { decide, evolve, evolveAll, isFinal, stateAfter, type RequestBase, type RequestCommand, type RequestSnapshot } from './certificate-request.state';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:00:01Z');
const TP = 'A'.repeat(40);
const OTHER_TP = 'B'.repeat(40);
const missingRoot = [{ kind: 'root' as const, subject: 'CN=Root', authorityKeyIdentifier: '01' }];

/** What the builders may vary: the fields a request is submitted with. */
type Submission = Partial<Pick<RequestBase, 'usages' | 'autoAssign' | 'issuer'>>;

function submitted(o: Submission = {}): RequestSnapshot {
  return evolve(null, {
    type: 'Submitted',
    at: T0,
    id: 'r1',
    host: 'pool.example.com',
    usages: ['Default', 'WebServicesInternal', 'WebServicesExternal'],
    autoAssign: true,
    issuer: 'internal',
    friendlyName: null,
    csr: 'CSR',
    ...o,
  });
}

/** A request in each state, reached through the events that lead there (so each is a real variant). */
const build: Record<RequestState, (o: Submission) => RequestSnapshot> = {
  SUBMITTED: (o) => submitted(o),
  PENDING: (o) => evolve(submitted(o), { type: 'Pending', at: T0, detail: 'with the CA' }),
  ISSUED: (o) => evolve(build.PENDING(o), { type: 'Issued', at: T0, thumbprint: TP, certificate: 'PEM', chain: [] }),
  CHAIN_INCOMPLETE: (o) => evolve(build.ISSUED(o), { type: 'ChainIncomplete', at: T0, missing: missingRoot, reasons: ['root missing'] }),
  ASSIGNABLE: (o) => evolve(build.ISSUED(o), { type: 'ChainCompleted', at: T0, path: [TP, OTHER_TP] }),
  ASSIGNED: (o) => evolve(build.ASSIGNABLE(o), { type: 'Assigned', at: T0, usages: ['Default'] }),
  FAILED: (o) => evolve(build.ISSUED(o), { type: 'Failed', at: T0, stage: 'issuance', code: 'IssuerRefused', message: 'refused' }),
  SUPERSEDED: (o) => evolve(build.ASSIGNED(o), { type: 'Superseded', at: T0, by: 'r2' }),
  REVOKED: (o) => evolve(build.ASSIGNED(o), { type: 'Revoked', at: T0, reason: 'keyCompromise', revokedAt: T0, atCa: 'crl-ocsp' }),
};

function inState(state: RequestState, o: Submission = {}): RequestSnapshot {
  return build[state](o);
}

/** One of each command about an existing request; UploadCertificate has a spec of its own (upload-certificate.decision.spec.ts). */
const commands: Record<Exclude<RequestCommand['type'], 'Submit' | 'UploadCertificate'>, RequestCommand> = {
  MarkPending: { type: 'MarkPending', at: T1, detail: 'order pending' },
  RecordIssued: { type: 'RecordIssued', at: T1, thumbprint: TP, certificate: 'PEM', chain: ['INT'] },
  RecordChainComplete: { type: 'RecordChainComplete', at: T1, thumbprint: TP, path: [TP, OTHER_TP] },
  RecordChainIncomplete: { type: 'RecordChainIncomplete', at: T1, thumbprint: TP, missing: missingRoot, reasons: ['root missing'] },
  Assign: { type: 'Assign', at: T1 },
  RecordAssigned: { type: 'RecordAssigned', at: T1, thumbprint: TP, usages: ['Default'] },
  RecordUnassigned: { type: 'RecordUnassigned', at: T1, thumbprint: TP, reason: 'replaced', remaining: [], replacedBy: 'r2' },
  RecordRenewalDue: { type: 'RecordRenewalDue', at: T1, thumbprint: TP, dueAt: T1 },
  Fail: { type: 'Fail', at: T1, stage: 'issuance', code: 'IssuerRefused', message: 'refused' },
  RequestRevocation: { type: 'RequestRevocation', at: T1, reason: 'keyCompromise', actor: 'alice', afterRenewal: false },
  RecordRevoked: { type: 'RecordRevoked', at: T1, thumbprint: TP, reason: 'keyCompromise', revokedAt: T1, atCa: 'crl-ocsp' },
};

/** Every (state, command) pair and the state it must lead to; `kind` for the ones that change nothing. */
const table: Record<RequestState, Record<keyof typeof commands, RequestState | 'ignored' | 'notYet' | 'NOT_ASSIGNABLE' | 'NOT_REVOCABLE'>> = {
  SUBMITTED: { MarkPending: 'PENDING', RecordIssued: 'ISSUED', RecordChainComplete: 'notYet', RecordChainIncomplete: 'notYet', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'notYet', RecordUnassigned: 'notYet', RecordRenewalDue: 'notYet', Fail: 'FAILED', RequestRevocation: 'NOT_REVOCABLE', RecordRevoked: 'ignored' },
  PENDING: { MarkPending: 'PENDING', RecordIssued: 'ISSUED', RecordChainComplete: 'notYet', RecordChainIncomplete: 'notYet', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'notYet', RecordUnassigned: 'notYet', RecordRenewalDue: 'notYet', Fail: 'FAILED', RequestRevocation: 'NOT_REVOCABLE', RecordRevoked: 'ignored' },
  ISSUED: { MarkPending: 'ignored', RecordIssued: 'ignored', RecordChainComplete: 'ASSIGNABLE', RecordChainIncomplete: 'CHAIN_INCOMPLETE', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'notYet', RecordUnassigned: 'notYet', RecordRenewalDue: 'notYet', Fail: 'FAILED', RequestRevocation: 'ISSUED', RecordRevoked: 'REVOKED' },
  CHAIN_INCOMPLETE: { MarkPending: 'ignored', RecordIssued: 'ignored', RecordChainComplete: 'ASSIGNABLE', RecordChainIncomplete: 'ignored', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'notYet', RecordUnassigned: 'notYet', RecordRenewalDue: 'notYet', Fail: 'FAILED', RequestRevocation: 'CHAIN_INCOMPLETE', RecordRevoked: 'REVOKED' },
  ASSIGNABLE: { MarkPending: 'ignored', RecordIssued: 'ignored', RecordChainComplete: 'ignored', RecordChainIncomplete: 'ignored', Assign: 'ASSIGNABLE', RecordAssigned: 'ASSIGNED', RecordUnassigned: 'notYet', RecordRenewalDue: 'notYet', Fail: 'FAILED', RequestRevocation: 'ASSIGNABLE', RecordRevoked: 'REVOKED' },
  ASSIGNED: { MarkPending: 'ignored', RecordIssued: 'ignored', RecordChainComplete: 'ignored', RecordChainIncomplete: 'ignored', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'ignored', RecordUnassigned: 'SUPERSEDED', RecordRenewalDue: 'ASSIGNED', Fail: 'ignored', RequestRevocation: 'ASSIGNED', RecordRevoked: 'REVOKED' },
  FAILED: { MarkPending: 'ignored', RecordIssued: 'ignored', RecordChainComplete: 'ignored', RecordChainIncomplete: 'ignored', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'ignored', RecordUnassigned: 'ignored', RecordRenewalDue: 'ignored', Fail: 'ignored', RequestRevocation: 'NOT_REVOCABLE', RecordRevoked: 'ignored' },
  SUPERSEDED: { MarkPending: 'ignored', RecordIssued: 'ignored', RecordChainComplete: 'ignored', RecordChainIncomplete: 'ignored', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'ignored', RecordUnassigned: 'ignored', RecordRenewalDue: 'ignored', Fail: 'ignored', RequestRevocation: 'SUPERSEDED', RecordRevoked: 'REVOKED' },
  REVOKED: { MarkPending: 'ignored', RecordIssued: 'ignored', RecordChainComplete: 'ignored', RecordChainIncomplete: 'ignored', Assign: 'NOT_ASSIGNABLE', RecordAssigned: 'ignored', RecordUnassigned: 'ignored', RecordRenewalDue: 'ignored', Fail: 'ignored', RequestRevocation: 'ignored', RecordRevoked: 'ignored' },
};

describe('certificate request state machine', () => {
  describe('the transition table', () => {
    it('covers every state of the contract', () => {
      expect(Object.keys(table).sort()).toEqual([...REQUEST_STATES].sort());
    });

    for (const state of REQUEST_STATES) {
      for (const [name, expected] of Object.entries(table[state])) {
        it(`in ${state}, ${name} ${expected === 'ignored' || expected === 'notYet' || expected === 'NOT_ASSIGNABLE' || expected === 'NOT_REVOCABLE' ? 'is ' + expected : 'leads to ' + expected}`, () => {
          const before = inState(state);
          const decision = decide(before, commands[name as keyof typeof commands]);
          if (expected === 'ignored' || expected === 'notYet') {
            expect(decision.kind).toBe(expected);
          } else if (expected === 'NOT_ASSIGNABLE' || expected === 'NOT_REVOCABLE') {
            expect(decision).toMatchObject({ kind: 'rejected', code: expected });
          } else {
            expect(decision.kind).toBe('accepted');
            if (decision.kind !== 'accepted') return;
            expect(evolveAll(before, decision.events)!.state).toBe(expected);
          }
        });
      }
    }
  });

  describe('when a request is submitted', () => {
    const submit: RequestCommand = { type: 'Submit', at: T0, id: 'r1', host: 'h', usages: ['Default'], autoAssign: false, issuer: 'internal', friendlyName: 'f', csr: 'C' };
    it('starts in SUBMITTED with what was asked', () => {
      const d = decide(null, submit);
      expect(d.kind).toBe('accepted');
      if (d.kind !== 'accepted') return;
      expect(evolveAll(null, d.events)).toMatchObject({ id: 'r1', state: 'SUBMITTED', usages: ['Default'], autoAssign: false, friendlyName: 'f', createdAt: T0 });
    });
    it('is refused a second time', () => {
      expect(decide(submitted(), submit)).toMatchObject({ kind: 'rejected', code: 'ALREADY_EXISTS' });
    });
    it('refuses any other command for a request that does not exist', () => {
      expect(decide(null, commands.Assign)).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
    });
  });

  describe('when the chain completes straight after issuance', () => {
    it('asks for assignment at once when autoAssign is on', () => {
      const d = decide(inState('ISSUED'), commands.RecordChainComplete);
      expect(d).toMatchObject({ kind: 'accepted', events: [{ type: 'ChainCompleted' }, { type: 'AssignmentRequested', by: 'auto', usages: ['Default', 'WebServicesInternal', 'WebServicesExternal'] }] });
    });
    it('waits in ASSIGNABLE when autoAssign is off', () => {
      const d = decide(inState('ISSUED', { autoAssign: false }), commands.RecordChainComplete);
      expect(d).toMatchObject({ kind: 'accepted', events: [{ type: 'ChainCompleted' }] });
      if (d.kind === 'accepted') expect(d.events).toHaveLength(1);
    });
  });

  describe('when the chain completes after it was incomplete', () => {
    it('waits for an explicit Assign even with autoAssign on', () => {
      const before = evolve(inState('ISSUED'), { type: 'ChainIncomplete', at: T0, missing: missingRoot, reasons: [] });
      expect(before).toMatchObject({ state: 'CHAIN_INCOMPLETE' });
      const d = decide(before, commands.RecordChainComplete);
      expect(d).toMatchObject({ kind: 'accepted', events: [{ type: 'ChainCompleted' }] });
      if (d.kind === 'accepted') expect(d.events).toHaveLength(1);
      expect(evolveAll(before, d.kind === 'accepted' ? d.events : [])).toMatchObject({ state: 'ASSIGNABLE', wasIncomplete: true, validation: { status: 'complete', path: [TP, OTHER_TP] } });
    });
  });

  describe('when the chain is incomplete', () => {
    it('records what is missing', () => {
      const d = decide(inState('ISSUED'), commands.RecordChainIncomplete);
      const after = evolveAll(inState('ISSUED'), d.kind === 'accepted' ? d.events : []);
      expect(after).toMatchObject({ state: 'CHAIN_INCOMPLETE', validation: { status: 'incomplete', missing: missingRoot, reasons: ['root missing'] } });
    });
    it('records a new gap when a root import reveals a missing intermediate', () => {
      const before = inState('CHAIN_INCOMPLETE');
      const gap = [{ kind: 'intermediate' as const, subject: 'CN=Int', authorityKeyIdentifier: '02' }];
      const d = decide(before, { type: 'RecordChainIncomplete', at: T1, thumbprint: TP, missing: gap, reasons: [] });
      expect(d).toMatchObject({ kind: 'accepted', events: [{ type: 'ChainIncomplete', missing: gap }] });
    });
  });

  describe('when an operator presses Assign', () => {
    it('refuses a CHAIN_INCOMPLETE request, saying what to do', () => {
      const d = decide(inState('CHAIN_INCOMPLETE'), commands.Assign);
      expect(d).toMatchObject({ kind: 'rejected', code: 'NOT_ASSIGNABLE' });
      if (d.kind === 'rejected') expect(d.message).toMatch(/import/);
    });
    it('assigns the requested usages by default', () => {
      expect(decide(inState('ASSIGNABLE'), commands.Assign)).toMatchObject({ kind: 'accepted', events: [{ type: 'AssignmentRequested', by: 'operator', usages: ['Default', 'WebServicesInternal', 'WebServicesExternal'] }] });
    });
    it('assigns a subset of usages when asked', () => {
      expect(decide(inState('ASSIGNABLE'), { type: 'Assign', at: T1, usages: ['WebServicesExternal'] })).toMatchObject({ kind: 'accepted', events: [{ usages: ['WebServicesExternal'] }] });
    });
    it('refuses a usage the request did not ask for', () => {
      expect(decide(inState('ASSIGNABLE', { usages: ['Default'] }), { type: 'Assign', at: T1, usages: ['WebServicesExternal'] })).toMatchObject({ kind: 'rejected', code: 'USAGE_NOT_REQUESTED' });
    });
  });

  describe('when facts concern another certificate', () => {
    it.each(['RecordChainComplete', 'RecordChainIncomplete'] as const)('ignores %s for another thumbprint', (name) => {
      expect(decide(inState('ISSUED'), { ...commands[name], thumbprint: OTHER_TP } as RequestCommand).kind).toBe('ignored');
    });
    it('ignores an assignment of another certificate', () => {
      expect(decide(inState('ASSIGNABLE'), { ...commands.RecordAssigned, thumbprint: OTHER_TP } as RequestCommand).kind).toBe('ignored');
    });

    const foreignChainComplete: RequestCommand = { type: 'RecordChainComplete', at: T1, thumbprint: OTHER_TP, path: [OTHER_TP] };
    it.each(['ISSUED', 'CHAIN_INCOMPLETE', 'ASSIGNABLE', 'ASSIGNED', 'FAILED', 'SUPERSEDED'] as const)(
      'a chain.complete for a thumbprint the request was not issued changes nothing in %s, and is flagged foreign (warned about)',
      (state) => {
        expect(decide(inState(state), foreignChainComplete)).toEqual({ kind: 'ignored', reason: expect.stringContaining(OTHER_TP), foreign: true });
      },
    );
    it("a chain.complete naming the request's thumbprint but a path from another certificate changes nothing", () => {
      expect(decide(inState('ISSUED'), { type: 'RecordChainComplete', at: T1, thumbprint: TP, path: [OTHER_TP, TP] })).toMatchObject({ kind: 'ignored', foreign: true });
    });
    it('a chain.complete before the certificate is recorded waits, to be judged against the thumbprint issued', () => {
      expect(decide(inState('PENDING'), foreignChainComplete).kind).toBe('notYet');
      expect(decide(inState('ISSUED'), foreignChainComplete)).toMatchObject({ kind: 'ignored', foreign: true });
    });
    it("the request's own chain.complete is not flagged", () => {
      expect(decide(inState('ASSIGNABLE'), commands.RecordChainComplete)).toEqual({ kind: 'ignored', reason: expect.any(String) });
    });
  });

  describe('when a validation overtakes certificate.issued (any order)', () => {
    const carried = { certificate: 'PEM', chain: ['INT'] };
    const completeWith = { ...commands.RecordChainComplete, ...carried } as RequestCommand;
    const incompleteWith = { ...commands.RecordChainIncomplete, ...carried } as RequestCommand;

    /** Every (state, validation carrying the certificate) pair: only SUBMITTED and PENDING differ from the table above. */
    const carriedTable: Record<RequestState, { complete: RequestState | 'ignored'; incomplete: RequestState | 'ignored' }> = {
      SUBMITTED: { complete: 'ASSIGNABLE', incomplete: 'CHAIN_INCOMPLETE' },
      PENDING: { complete: 'ASSIGNABLE', incomplete: 'CHAIN_INCOMPLETE' },
      ISSUED: { complete: 'ASSIGNABLE', incomplete: 'CHAIN_INCOMPLETE' },
      CHAIN_INCOMPLETE: { complete: 'ASSIGNABLE', incomplete: 'ignored' },
      ASSIGNABLE: { complete: 'ignored', incomplete: 'ignored' },
      ASSIGNED: { complete: 'ignored', incomplete: 'ignored' },
      FAILED: { complete: 'ignored', incomplete: 'ignored' },
      SUPERSEDED: { complete: 'ignored', incomplete: 'ignored' },
      REVOKED: { complete: 'ignored', incomplete: 'ignored' },
    };
    for (const state of REQUEST_STATES) {
      for (const [name, command] of [['complete', completeWith], ['incomplete', incompleteWith]] as const) {
        const expected = carriedTable[state][name];
        it(`in ${state}, chain.${name} with the certificate ${expected === 'ignored' ? 'is ignored' : 'leads to ' + expected}`, () => {
          const before = inState(state);
          const d = decide(before, command);
          if (expected === 'ignored') return expect(d.kind).toBe('ignored');
          expect(d.kind).toBe('accepted');
          expect(evolveAll(before, d.kind === 'accepted' ? d.events : [])!.state).toBe(expected);
        });
      }
    }

    it('records the issuance and the complete chain in one step, as the two facts in order would, auto-assign included', () => {
      for (const state of ['SUBMITTED', 'PENDING'] as const) {
        const before = inState(state);
        const d = decide(before, completeWith);
        expect(d).toMatchObject({
          kind: 'accepted',
          events: [
            { type: 'Issued', at: T1, thumbprint: TP, certificate: 'PEM', chain: ['INT'] },
            { type: 'ChainCompleted', at: T1, path: [TP, OTHER_TP] },
            { type: 'AssignmentRequested', at: T1, by: 'auto' },
          ],
        });
        const inOrder = [commands.RecordIssued, commands.RecordChainComplete].reduce((s, c) => {
          const step = decide(s, c);
          return step.kind === 'accepted' ? evolveAll(s, step.events)! : s;
        }, before);
        expect(evolveAll(before, d.kind === 'accepted' ? d.events : [])).toEqual(inOrder);
      }
    });
    it('records the issuance and the gap in one step, and waits for an import', () => {
      const d = decide(inState('PENDING'), incompleteWith);
      expect(d).toMatchObject({ kind: 'accepted', events: [{ type: 'Issued', thumbprint: TP }, { type: 'ChainIncomplete', missing: missingRoot }] });
      if (d.kind === 'accepted') expect(d.events).toHaveLength(2);
    });
    it('takes the chain as empty when the fact carries the certificate alone', () => {
      const d = decide(inState('SUBMITTED'), { ...commands.RecordChainComplete, certificate: 'PEM' } as RequestCommand);
      expect(d.kind === 'accepted' && d.events[0]).toEqual({ type: 'Issued', at: T1, thumbprint: TP, certificate: 'PEM', chain: [] });
    });
    it('then ignores certificate.issued as already recorded, or as another certificate', () => {
      const before = inState('SUBMITTED');
      const d = decide(before, completeWith);
      const after = evolveAll(before, d.kind === 'accepted' ? d.events : [])!;
      expect(decide(after, commands.RecordIssued)).toEqual({ kind: 'ignored', reason: 'certificate already recorded' });
      expect(decide(after, { ...commands.RecordIssued, thumbprint: OTHER_TP } as RequestCommand)).toEqual({ kind: 'ignored', reason: 'a certificate was already recorded (ASSIGNABLE)' });
    });
    it('changes nothing for a path that does not start at the certificate it carries (foreign)', () => {
      expect(decide(inState('PENDING'), { ...completeWith, path: [OTHER_TP, TP] } as RequestCommand)).toMatchObject({ kind: 'ignored', foreign: true });
    });
    it('still waits without the certificate (an older publisher)', () => {
      expect(decide(inState('PENDING'), commands.RecordChainComplete)).toEqual({ kind: 'notYet', reason: 'the certificate has not been recorded yet' });
      expect(decide(inState('SUBMITTED'), commands.RecordChainIncomplete).kind).toBe('notYet');
    });
  });

  describe('what each state carries', () => {
    it('has no certificate before ISSUED, and the certificate from ISSUED on', () => {
      expect(inState('SUBMITTED')).not.toHaveProperty('thumbprint');
      expect(inState('PENDING')).toMatchObject({ state: 'PENDING', pendingDetail: 'with the CA' });
      expect(inState('PENDING')).not.toHaveProperty('certificate');
      for (const state of ['ISSUED', 'CHAIN_INCOMPLETE', 'ASSIGNABLE', 'ASSIGNED', 'FAILED'] as const) {
        expect(inState(state)).toMatchObject({ thumbprint: TP, certificate: 'PEM', chain: [] });
        expect(inState(state)).not.toHaveProperty('pendingDetail');
      }
    });
    it('keeps the validation only from CHAIN_INCOMPLETE on, and the assignment only in ASSIGNED', () => {
      expect(inState('ISSUED')).not.toHaveProperty('validation');
      expect(inState('CHAIN_INCOMPLETE')).toMatchObject({ validation: { status: 'incomplete', missing: missingRoot } });
      expect(inState('ASSIGNABLE')).toMatchObject({ wasIncomplete: false, validation: { status: 'complete' } });
      expect(inState('ASSIGNABLE')).not.toHaveProperty('assignment');
      expect(inState('ASSIGNED')).toMatchObject({ assignment: { usages: ['Default'], assignedAt: T0 } });
    });
    it('keeps what a failed request had reached, and only that', () => {
      const beforeIssuance = evolve(inState('PENDING'), { type: 'Failed', at: T1, stage: 'issuance', code: 'IssuerRefused', message: 'refused' });
      expect(beforeIssuance).toEqual({ ...submitted(), state: 'FAILED', updatedAt: T1, failure: { stage: 'issuance', code: 'IssuerRefused', message: 'refused' }, wasIncomplete: false });
      const afterGap = evolve(inState('CHAIN_INCOMPLETE'), { type: 'Failed', at: T1, stage: 'assignment', code: 'HostGone', message: 'gone' });
      expect(afterGap).toMatchObject({ state: 'FAILED', thumbprint: TP, wasIncomplete: true, validation: { status: 'incomplete' } });
    });
  });

  describe('when a fact repeats or comes too late', () => {
    it('takes a new pending detail, and ignores the same one again', () => {
      expect(decide(inState('PENDING'), { type: 'MarkPending', at: T1, detail: 'with the CA' }).kind).toBe('ignored');
      const d = decide(inState('PENDING'), { type: 'MarkPending', at: T1, detail: 'order ready' });
      expect(evolveAll(inState('PENDING'), d.kind === 'accepted' ? d.events : [])).toMatchObject({ state: 'PENDING', pendingDetail: 'order ready', updatedAt: T1 });
    });
    it('says whether a second certificate.issued is the same certificate', () => {
      expect(decide(inState('ISSUED'), commands.RecordIssued)).toEqual({ kind: 'ignored', reason: 'certificate already recorded' });
      expect(decide(inState('ISSUED'), { ...commands.RecordIssued, thumbprint: OTHER_TP } as RequestCommand)).toEqual({ kind: 'ignored', reason: 'a certificate was already recorded (ISSUED)' });
    });
    it('flags any validation as foreign for a request that failed before it had a certificate', () => {
      const failedEarly = evolve(inState('SUBMITTED'), { type: 'Failed', at: T1, stage: 'issuance', code: 'X', message: 'm' });
      expect(decide(failedEarly, commands.RecordChainComplete)).toMatchObject({ kind: 'ignored', foreign: true });
      expect(decide(failedEarly, commands.RecordChainIncomplete)).toMatchObject({ kind: 'ignored', foreign: true });
      expect(decide(failedEarly, commands.RecordAssigned)).toEqual({ kind: 'ignored', reason: 'the request failed' });
    });
  });

  describe('when an operator presses Assign too early or too late', () => {
    it.each(['SUBMITTED', 'PENDING', 'ISSUED', 'ASSIGNED', 'FAILED', 'SUPERSEDED'] as const)('refuses it in %s, naming the state', (state) => {
      expect(decide(inState(state), commands.Assign)).toEqual({
        kind: 'rejected',
        code: 'NOT_ASSIGNABLE',
        message: `the request is ${state}; only an ASSIGNABLE request can be assigned`,
      });
    });
    it('records who asked', () => {
      expect(decide(inState('ASSIGNABLE'), { type: 'Assign', at: T1, actor: 'alice' })).toMatchObject({ kind: 'accepted', events: [{ by: 'operator', actor: 'alice' }] });
    });
  });

  describe('when a renewal takes the bindings over', () => {
    const unassigned = (o: Partial<Extract<RequestCommand, { type: 'RecordUnassigned' }>>): RequestCommand => ({ ...commands.RecordUnassigned, ...o }) as RequestCommand;
    it('becomes SUPERSEDED by the request that took the last binding, keeping its certificate and assignment', () => {
      const before = inState('ASSIGNED');
      const d = decide(before, commands.RecordUnassigned);
      expect(d).toMatchObject({ kind: 'accepted', events: [{ type: 'Superseded', by: 'r2' }] });
      expect(evolveAll(before, d.kind === 'accepted' ? d.events : [])).toMatchObject({ state: 'SUPERSEDED', supersededBy: 'r2', thumbprint: TP, assignment: { usages: ['Default'] }, updatedAt: T1 });
    });
    it('stays ASSIGNED while its certificate is still bound to a usage', () => {
      expect(decide(inState('ASSIGNED'), unassigned({ remaining: ['WebServicesExternal'] }))).toEqual({ kind: 'ignored', reason: 'still bound to WebServicesExternal' });
    });
    it('stays ASSIGNED when bindings are revoked (revocation decides that, #19)', () => {
      expect(decide(inState('ASSIGNED'), unassigned({ reason: 'revoked' })).kind).toBe('ignored');
    });
    it('ignores a release of another certificate, flagged foreign', () => {
      expect(decide(inState('ASSIGNED'), unassigned({ thumbprint: OTHER_TP }))).toMatchObject({ kind: 'ignored', foreign: true });
    });
    it('is superseded without a name when the fact does not say by whom', () => {
      const d = decide(inState('ASSIGNED'), unassigned({ replacedBy: undefined }));
      expect(evolveAll(inState('ASSIGNED'), d.kind === 'accepted' ? d.events : [])).not.toHaveProperty('supersededBy');
    });
  });

  describe('when the renewal window opens', () => {
    it('records the due date once, the first it learns', () => {
      const d = decide(inState('ASSIGNED'), commands.RecordRenewalDue);
      const after = evolveAll(inState('ASSIGNED'), d.kind === 'accepted' ? d.events : [])!;
      expect(after).toMatchObject({ state: 'ASSIGNED', renewalDueAt: T1 });
      expect(decide(after, commands.RecordRenewalDue).kind).toBe('ignored');
    });
    it('keeps the due date that came with certificate.assigned', () => {
      const assigned = evolve(inState('ASSIGNABLE'), { type: 'Assigned', at: T0, usages: ['Default'], renewalDueAt: T0 });
      expect(assigned).toMatchObject({ renewalDueAt: T0 });
      expect(decide(assigned, commands.RecordRenewalDue).kind).toBe('ignored');
    });
  });

  describe('what a submission says about renewal', () => {
    it('defaults rotationPolicy to Always, and keeps renewalOf and renewBefore', () => {
      const s = evolve(null, { type: 'Submitted', at: T0, id: 'r2', host: 'h', usages: ['Default'], autoAssign: true, issuer: 'internal', friendlyName: null, csr: 'C', renewalOf: 'r1', renewBefore: 'P30D' });
      expect(s).toMatchObject({ rotationPolicy: 'Always', renewalOf: 'r1', renewBefore: 'P30D' });
      expect(submitted()).toMatchObject({ rotationPolicy: 'Always' });
      expect(submitted()).not.toHaveProperty('renewalOf');
    });
  });

  describe('the events', () => {
    it('cannot apply to a state they do not follow', () => {
      expect(() => evolve(inState('ISSUED'), { type: 'Assigned', at: T1, usages: ['Default'] })).toThrow(/Assigned to a request in ISSUED/);
      expect(() => evolve(inState('PENDING'), { type: 'ChainCompleted', at: T1, path: [TP] })).toThrow(/ChainCompleted to a request in PENDING/);
      expect(() => evolve(inState('CHAIN_INCOMPLETE'), { type: 'AssignmentRequested', at: T1, usages: [], by: 'auto' })).toThrow();
    });
    it('record the failure with its stage and code', () => {
      const after = evolve(inState('ISSUED'), { type: 'Failed', at: T1, stage: 'validation', code: 'CertificateExpired', message: 'expired' });
      expect(after).toMatchObject({ state: 'FAILED', failure: { stage: 'validation', code: 'CertificateExpired' }, validation: { status: 'invalid', reasons: ['expired'] } });
    });
    it('record the assignment and clear the pending request for it', () => {
      const requested = evolve(inState('ASSIGNABLE'), { type: 'AssignmentRequested', at: T0, usages: ['Default'], by: 'operator' });
      expect(requested).toMatchObject({ state: 'ASSIGNABLE', assignmentRequestedAt: T0 });
      const after = evolve(requested, { type: 'Assigned', at: T1, usages: ['Default'] });
      expect(after).toMatchObject({ state: 'ASSIGNED', assignment: { usages: ['Default'], assignedAt: T1 }, updatedAt: T1 });
      expect(after).not.toHaveProperty('assignmentRequestedAt');
    });
    it('cannot apply to a request that does not exist', () => {
      expect(() => evolve(null, { type: 'Pending', at: T0 })).toThrow();
    });
    it('name the state they lead to, except a request for assignment', () => {
      expect(stateAfter({ type: 'ChainCompleted', at: T0, path: [] })).toBe('ASSIGNABLE');
      expect(stateAfter({ type: 'AssignmentRequested', at: T0, usages: [], by: 'auto' })).toBeNull();
    });
    it('treat ASSIGNED, FAILED, SUPERSEDED and REVOKED as final, and nothing else', () => {
      expect(REQUEST_STATES.filter(isFinal)).toEqual(['ASSIGNED', 'FAILED', 'SUPERSEDED', 'REVOKED']);
    });
  });

  describe('when a revocation waits for the renewal (renew first)', () => {
    const ask = (afterRenewal: boolean, reason: 'keyCompromise' | 'superseded' = 'superseded'): RequestCommand => ({ type: 'RequestRevocation', at: T1, reason, actor: 'alice', afterRenewal });
    const release: RequestCommand = { type: 'RecordUnassigned', at: T1, thumbprint: TP, reason: 'replaced', remaining: [], replacedBy: 'r2' };

    it('holds it while ASSIGNED, and sends it with SUPERSEDED', () => {
      const d1 = decide(inState('ASSIGNED'), ask(true));
      expect(d1).toMatchObject({ kind: 'accepted', events: [{ type: 'RevocationRequested', afterRenewal: true }] });
      const held = evolveAll(inState('ASSIGNED'), d1.kind === 'accepted' ? d1.events : [])!;
      expect(held.revocation).toMatchObject({ state: 'after-renewal', reason: 'superseded', actor: 'alice' });
      const d2 = decide(held, release);
      expect(d2).toMatchObject({ kind: 'accepted', events: [{ type: 'Superseded' }, { type: 'RevocationReleased' }] });
      expect(evolveAll(held, d2.kind === 'accepted' ? d2.events : [])).toMatchObject({ state: 'SUPERSEDED', revocation: { state: 'requested' } });
    });

    it('does not hold it outside ASSIGNED (nothing to take over)', () => {
      expect(decide(inState('ASSIGNABLE'), ask(true))).toMatchObject({ kind: 'accepted', events: [{ afterRenewal: false }] });
    });

    it('ignores a second ask: the first revocation stands', () => {
      const d = decide(inState('ASSIGNED'), ask(false, 'keyCompromise'));
      const asked = evolveAll(inState('ASSIGNED'), d.kind === 'accepted' ? d.events : [])!;
      expect(decide(asked, ask(true))).toMatchObject({ kind: 'ignored' });
    });

    it('keeps the assignment and the revocation on REVOKED', () => {
      const d = decide(inState('ASSIGNED'), ask(false, 'keyCompromise'));
      const asked = evolveAll(inState('ASSIGNED'), d.kind === 'accepted' ? d.events : [])!;
      const r = decide(asked, commands.RecordRevoked);
      expect(evolveAll(asked, r.kind === 'accepted' ? r.events : [])).toMatchObject({
        state: 'REVOKED',
        assignment: { usages: ['Default'] },
        revocation: { state: 'revoked', reason: 'keyCompromise', actor: 'alice', atCa: 'crl-ocsp', revokedAt: T1 },
      });
    });
  });
});
