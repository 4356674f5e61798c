/**
 * The certificate request state machine: a pure decider. `decide(state, command)` says what happens
 * (events, or why nothing does); `evolve(state, event)` applies an event. No I/O, no clock: time
 * comes in on the command. Each decision switches on the request's state, every state listed, so a
 * new state (SUPERSEDED, REVOKED) is decided for each command or does not compile.
 */
import type { MissingIssuer, RequestState } from '@certflow/contracts';
import {
  NO_SUCH_REQUEST,
  accepted,
  foreign,
  ignored,
  notYet,
  rejected,
  type Decision,
  type ExistingRequestCommand,
  type RequestCommand,
  type RequestEvent,
} from './request.messages';
import { baseOf, certificateOf, hasBeenIncomplete, isFinal, unknownState, validationOf, type IssuedCertificate, type RequestSnapshot } from './request.states';
import { decideUpload } from './upload-certificate.decision';
import { decideRenewalDue, decideUnassigned } from './lifecycle.decision';
import { decideRevocation, decideRevoked, revocationAfter } from './revocation.decision';

export * from './request.states';
export * from './request.messages';

type Command<T extends ExistingRequestCommand['type']> = Extract<ExistingRequestCommand, { type: T }>;

/** What a command does to a request (`null`: none exists yet): the events it leads to, or why none. */
export function decide(state: RequestSnapshot | null, command: RequestCommand): Decision {
  if (command.type === 'Submit') {
    if (state) return rejected('ALREADY_EXISTS', `request ${command.id} already exists`);
    const { type: _type, ...data } = command;
    return accepted({ type: 'Submitted', ...data });
  }
  if (!state) return NO_SUCH_REQUEST;
  switch (command.type) {
    case 'MarkPending':
      return markPending(state, command);
    case 'RecordIssued':
      return recordIssued(state, command);
    case 'RecordChainComplete':
      return recordChainComplete(state, command);
    case 'RecordChainIncomplete':
      return recordChainIncomplete(state, command);
    case 'Assign':
      return assign(state, command);
    case 'RecordAssigned':
      return recordAssigned(state, command);
    case 'Fail':
      if (isFinal(state.state)) return ignored(`already final (${state.state})`);
      return accepted({ type: 'Failed', at: command.at, stage: command.stage, code: command.code, message: command.message });
    case 'RecordUnassigned':
      return decideUnassigned(state, command);
    case 'RecordRenewalDue':
      return decideRenewalDue(state, command);
    case 'UploadCertificate':
      return decideUpload(state, command);
    case 'RequestRevocation':
      return decideRevocation(state, command);
    case 'RecordRevoked':
      return decideRevoked(state, command);
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

function markPending(s: RequestSnapshot, c: Command<'MarkPending'>): Decision {
  switch (s.state) {
    case 'SUBMITTED':
      return accepted({ type: 'Pending', at: c.at, detail: c.detail });
    case 'PENDING':
      // The CA may say more while it waits (an ACME order's new status).
      if (c.detail !== s.pendingDetail) return accepted({ type: 'Pending', at: c.at, detail: c.detail });
      return ignored(`already past SUBMITTED (${s.state})`);
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      return ignored(`already past SUBMITTED (${s.state})`);
    default:
      return unknownState(s);
  }
}

function recordIssued(s: RequestSnapshot, c: Command<'RecordIssued'>): Decision {
  switch (s.state) {
    case 'SUBMITTED':
    case 'PENDING': {
      const { type: _type, ...data } = c;
      return accepted({ type: 'Issued', ...data });
    }
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      return ignored(s.thumbprint === c.thumbprint ? 'certificate already recorded' : `a certificate was already recorded (${s.state})`);
    default:
      return unknownState(s);
  }
}

function recordChainComplete(s: RequestSnapshot, c: Command<'RecordChainComplete'>): Decision {
  if (s.state === 'SUBMITTED' || s.state === 'PENDING') return issuedFirst(s, c, recordChainComplete);
  // Only the certificate this request was issued may make it assignable.
  if (c.thumbprint !== s.thumbprint) return foreign(`validation of another certificate (${c.thumbprint}, not ${s.thumbprint})`);
  if (c.path[0] !== s.thumbprint) return foreign(`a validated path that does not start at the request's certificate (${s.thumbprint})`);
  const completed: RequestEvent = { type: 'ChainCompleted', at: c.at, path: c.path };
  switch (s.state) {
    case 'ISSUED':
      // The wizard's default: a certificate that validated at once is assigned at once. One that
      // had to wait for an import waits for an explicit Assign.
      return s.autoAssign ? accepted(completed, { type: 'AssignmentRequested', at: c.at, usages: s.usages, by: 'auto' }) : accepted(completed);
    case 'CHAIN_INCOMPLETE':
      return accepted(completed);
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      return ignored(`chain already complete (${s.state})`);
    default:
      return unknownState(s);
  }
}

function recordChainIncomplete(s: RequestSnapshot, c: Command<'RecordChainIncomplete'>): Decision {
  if (s.state === 'SUBMITTED' || s.state === 'PENDING') return issuedFirst(s, c, recordChainIncomplete);
  if (c.thumbprint !== s.thumbprint) return foreign(`validation of another certificate (${c.thumbprint}, not ${s.thumbprint})`);
  const incomplete: RequestEvent = { type: 'ChainIncomplete', at: c.at, missing: c.missing, reasons: c.reasons };
  switch (s.state) {
    case 'ISSUED':
      return accepted(incomplete);
    case 'CHAIN_INCOMPLETE':
      // An import may reveal a new gap (the root is there now, an intermediate is not): that is news.
      return sameMissing(s.validation.missing, c.missing) ? ignored('the same gap is already recorded') : accepted(incomplete);
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      // ASSIGNABLE after a trust-store removal stays assignable: trust is checked when the chain is
      // validated, and a later removal does not revoke a validation already done.
      return ignored(`not waiting for validation (${s.state})`);
    default:
      return unknownState(s);
  }
}

/**
 * A validation that overtook `certificate.issued` (they travel on separate consumers). When it
 * carries the certificate, the request records the issuance and the validation in one step: the
 * events are those the two facts in order would give (Issued, then the validation's), and the
 * later `certificate.issued` is ignored as already recorded. Without it (an older publisher), it
 * waits for `certificate.issued`: only then is its thumbprint known to be this request's.
 */
function issuedFirst<C extends Command<'RecordChainComplete' | 'RecordChainIncomplete'>>(
  s: RequestSnapshot,
  c: C,
  then: (issued: RequestSnapshot, c: C) => Decision,
): Decision {
  if (c.certificate === undefined) return notYet('the certificate has not been recorded yet');
  const recorded: RequestEvent = { type: 'Issued', at: c.at, thumbprint: c.thumbprint, certificate: c.certificate, chain: c.chain ?? [] };
  const decision = then(evolve(s, recorded), c);
  return decision.kind === 'accepted' ? accepted(recorded, ...decision.events) : decision;
}

function assign(s: RequestSnapshot, c: Command<'Assign'>): Decision {
  switch (s.state) {
    case 'ASSIGNABLE': {
      const usages = c.usages ?? s.usages;
      const extra = usages.filter((u) => !s.usages.includes(u));
      if (extra.length > 0) return rejected('USAGE_NOT_REQUESTED', `the request did not ask for ${extra.join(', ')}`);
      return accepted({ type: 'AssignmentRequested', at: c.at, usages, by: 'operator', ...(c.actor ? { actor: c.actor } : {}) });
    }
    case 'CHAIN_INCOMPLETE':
      return rejected('NOT_ASSIGNABLE', 'the certificate chain is incomplete: import the missing root or intermediate certificates, then assign');
    case 'SUBMITTED':
    case 'PENDING':
    case 'ISSUED':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      return rejected('NOT_ASSIGNABLE', `the request is ${s.state}; only an ASSIGNABLE request can be assigned`);
    default:
      return unknownState(s);
  }
}

function recordAssigned(s: RequestSnapshot, c: Command<'RecordAssigned'>): Decision {
  switch (s.state) {
    case 'ASSIGNABLE':
      if (c.thumbprint !== s.thumbprint) return foreign(`assignment of another certificate (${c.thumbprint}, not ${s.thumbprint})`);
      return accepted({ type: 'Assigned', at: c.at, usages: c.usages, notBound: c.notBound, ...(c.renewalDueAt ? { renewalDueAt: c.renewalDueAt } : {}) });
    case 'ASSIGNED':
    case 'SUPERSEDED':
      return ignored('already assigned');
    case 'FAILED':
      return ignored('the request failed');
    case 'REVOKED':
      // Bound after the revocation released the bindings: assignment releases it again (see its revoked consumer).
      return ignored('the certificate was revoked');
    case 'SUBMITTED':
    case 'PENDING':
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
      return notYet('the request is not assignable yet');
    default:
      return unknownState(s);
  }
}

/** Applies one event; the decider accepted it for this state, so a mismatch is a programming error. */
export function evolve(state: RequestSnapshot | null, event: RequestEvent): RequestSnapshot {
  if (event.type === 'Submitted') {
    const { type: _type, at, rotationPolicy, ...data } = event;
    return { ...data, rotationPolicy: rotationPolicy ?? 'Always', state: 'SUBMITTED', createdAt: at, updatedAt: at };
  }
  if (!state) throw new Error(`cannot apply ${event.type} to a request that does not exist`);
  const base = { ...baseOf(state), updatedAt: event.at };
  switch (event.type) {
    case 'Pending':
      return { ...base, state: 'PENDING', ...(event.detail !== undefined ? { pendingDetail: event.detail } : {}) };
    case 'Issued':
      return { ...base, state: 'ISSUED', thumbprint: event.thumbprint, certificate: event.certificate, chain: event.chain };
    case 'ChainCompleted':
      return {
        ...base,
        ...issued(state, event),
        state: 'ASSIGNABLE',
        validation: { status: 'complete', path: event.path, validatedAt: event.at },
        wasIncomplete: hasBeenIncomplete(state),
      };
    case 'ChainIncomplete':
      return {
        ...base,
        ...issued(state, event),
        state: 'CHAIN_INCOMPLETE',
        validation: { status: 'incomplete', missing: event.missing, reasons: event.reasons, validatedAt: event.at },
      };
    case 'AssignmentRequested':
      if (state.state !== 'ASSIGNABLE') throw wrongState(state.state, event);
      return { ...state, updatedAt: event.at, assignmentRequestedAt: event.at };
    case 'Assigned': {
      if (state.state !== 'ASSIGNABLE') throw wrongState(state.state, event);
      const { assignmentRequestedAt: _done, ...assignable } = state;
      return {
        ...assignable,
        updatedAt: event.at,
        state: 'ASSIGNED',
        assignment: { usages: event.usages, assignedAt: event.at, notBound: event.notBound },
        ...(event.renewalDueAt ? { renewalDueAt: event.renewalDueAt } : {}),
      };
    }
    case 'Superseded':
      if (state.state !== 'ASSIGNED') throw wrongState(state.state, event);
      return { ...state, updatedAt: event.at, state: 'SUPERSEDED', ...(event.by ? { supersededBy: event.by } : {}) };
    case 'RenewalDueRecorded':
      if (state.state !== 'ASSIGNED') throw wrongState(state.state, event);
      return { ...state, updatedAt: event.at, renewalDueAt: event.dueAt };
    case 'Failed': {
      const validation = event.stage === 'validation' ? { status: 'invalid' as const, reasons: [event.message], validatedAt: event.at } : validationOf(state);
      return {
        ...base,
        ...certificateOf(state),
        state: 'FAILED',
        failure: { stage: event.stage, code: event.code, message: event.message },
        ...(validation ? { validation } : {}),
        wasIncomplete: hasBeenIncomplete(state),
      };
    }
    case 'CertificateUploaded':
      // Nothing changes until ca-gateway brings the certificate in as `certificate.issued`.
      return state;
    case 'RevocationRequested':
    case 'RevocationReleased':
      return { ...state, updatedAt: event.at, revocation: revocationAfter(state.revocation, event) } as RequestSnapshot;
    case 'Revoked': {
      const certificate = issued(state, event);
      const validation = validationOf(state);
      return {
        ...base,
        ...certificate,
        state: 'REVOKED',
        revocation: revocationAfter(state.revocation, event),
        ...(validation ? { validation } : {}),
        wasIncomplete: hasBeenIncomplete(state),
        ...('assignment' in state && state.assignment ? { assignment: state.assignment } : {}),
        ...('renewalDueAt' in state && state.renewalDueAt ? { renewalDueAt: state.renewalDueAt } : {}),
        ...('supersededBy' in state && state.supersededBy ? { supersededBy: state.supersededBy } : {}),
      };
    }
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}

/** Applies a decision's events in order. */
export function evolveAll(state: RequestSnapshot | null, events: RequestEvent[]): RequestSnapshot | null {
  return events.reduce<RequestSnapshot | null>((s, e) => evolve(s, e), state);
}

/** The state an event leads to, for the request's history; null when the state does not change. */
export function stateAfter(event: RequestEvent): RequestState | null {
  switch (event.type) {
    case 'Submitted':
      return 'SUBMITTED';
    case 'Pending':
      return 'PENDING';
    case 'Issued':
      return 'ISSUED';
    case 'ChainCompleted':
      return 'ASSIGNABLE';
    case 'ChainIncomplete':
      return 'CHAIN_INCOMPLETE';
    case 'Assigned':
      return 'ASSIGNED';
    case 'Failed':
      return 'FAILED';
    case 'Superseded':
      return 'SUPERSEDED';
    case 'Revoked':
      return 'REVOKED';
    case 'RevocationRequested':
    case 'RevocationReleased':
    case 'AssignmentRequested':
    case 'CertificateUploaded':
    case 'RenewalDueRecorded':
      return null;
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}

function issued(s: RequestSnapshot, event: RequestEvent): IssuedCertificate {
  const certificate = certificateOf(s);
  if (!certificate) throw wrongState(s.state, event);
  return certificate;
}

function wrongState(state: RequestState, event: RequestEvent): Error {
  return new Error(`cannot apply ${event.type} to a request in ${state}`);
}

function sameMissing(a: MissingIssuer[], b: MissingIssuer[]): boolean {
  if (a.length !== b.length) return false;
  const key = (m: MissingIssuer) => `${m.kind}|${m.subject}|${m.authorityKeyIdentifier ?? ''}`;
  const left = a.map(key).sort();
  return b.map(key).sort().every((k, i) => k === left[i]);
}
