/**
 * The certificate request state machine: a pure decider. `decide(state, command)` says what happens
 * (events, or why nothing does); `evolve(state, event)` applies an event. No I/O, no clock: time
 * comes in on the command. Everything a request can go through is here and in its spec.
 */
import type { MissingIssuer, RequestState, Usage, UsageRefusal } from '@certflow/contracts';

export interface RequestSnapshot {
  id: string;
  host: string;
  state: RequestState;
  usages: Usage[];
  autoAssign: boolean;
  issuer: string;
  friendlyName: string | null;
  csr: string;
  createdAt: Date;
  updatedAt: Date;
  thumbprint?: string;
  certificate?: string;
  chain?: string[];
  /** Set once the request has been CHAIN_INCOMPLETE: it then waits for an explicit Assign. */
  wasIncomplete: boolean;
  validation?: {
    status: 'complete' | 'incomplete' | 'invalid';
    path?: string[];
    missing?: MissingIssuer[];
    reasons?: string[];
    validatedAt: Date;
  };
  assignment?: { usages: Usage[]; assignedAt: Date; notBound?: UsageRefusal[] };
  /** When Assign was asked for (auto or by an operator) and not yet done. */
  assignmentRequestedAt?: Date;
  failure?: { stage: FailureStage; code: string; message: string };
  pendingDetail?: string;
}

export type FailureStage = 'issuance' | 'validation' | 'assignment';

// ---- commands: what someone (an operator, or a fact from another service) asks for ----
export type RequestCommand =
  | { type: 'Submit'; at: Date; id: string; host: string; usages: Usage[]; autoAssign: boolean; issuer: string; friendlyName: string | null; csr: string }
  | { type: 'MarkPending'; at: Date; detail?: string }
  | { type: 'RecordIssued'; at: Date; thumbprint: string; certificate: string; chain: string[] }
  | { type: 'RecordChainComplete'; at: Date; thumbprint: string; path: string[] }
  | { type: 'RecordChainIncomplete'; at: Date; thumbprint: string; missing: MissingIssuer[]; reasons: string[] }
  | { type: 'Assign'; at: Date; usages?: Usage[]; actor?: string }
  | { type: 'RecordAssigned'; at: Date; thumbprint: string; usages: Usage[]; notBound?: UsageRefusal[] }
  | { type: 'Fail'; at: Date; stage: FailureStage; code: string; message: string };

// ---- events: what happened to the request ----
export type RequestEvent =
  | { type: 'Submitted'; at: Date; id: string; host: string; usages: Usage[]; autoAssign: boolean; issuer: string; friendlyName: string | null; csr: string }
  | { type: 'Pending'; at: Date; detail?: string }
  | { type: 'Issued'; at: Date; thumbprint: string; certificate: string; chain: string[] }
  | { type: 'ChainCompleted'; at: Date; path: string[] }
  | { type: 'ChainIncomplete'; at: Date; missing: MissingIssuer[]; reasons: string[] }
  | { type: 'AssignmentRequested'; at: Date; usages: Usage[]; by: 'auto' | 'operator'; actor?: string }
  | { type: 'Assigned'; at: Date; usages: Usage[]; notBound?: UsageRefusal[] }
  | { type: 'Failed'; at: Date; stage: FailureStage; code: string; message: string };

/**
 * The outcome of a decision.
 * - `accepted`: apply these events.
 * - `ignored`: a fact already applied, or one that no longer matters (a late event for a final request).
 *   `foreign`: the fact is about a certificate this request was not issued (another thumbprint, a
 *   path that does not start at its certificate): it changes nothing, and is worth a warning.
 * - `notYet`: a fact that arrived before the one it follows (events travel on separate consumers); retry later.
 * - `rejected`: an operator's command that is not allowed in this state; `code` is stable.
 */
export type Decision =
  | { kind: 'accepted'; events: RequestEvent[] }
  | { kind: 'ignored'; reason: string; foreign?: true }
  | { kind: 'notYet'; reason: string }
  | { kind: 'rejected'; code: RejectionCode; message: string };

export type RejectionCode = 'NOT_ASSIGNABLE' | 'ALREADY_EXISTS' | 'NOT_FOUND' | 'USAGE_NOT_REQUESTED';

const FINAL: RequestState[] = ['ASSIGNED', 'FAILED'];
const BEFORE_ISSUED: RequestState[] = ['SUBMITTED', 'PENDING'];

const accepted = (...events: RequestEvent[]): Decision => ({ kind: 'accepted', events });
const ignored = (reason: string): Decision => ({ kind: 'ignored', reason });
const foreign = (reason: string): Decision => ({ kind: 'ignored', reason, foreign: true });
const notYet = (reason: string): Decision => ({ kind: 'notYet', reason });

export function isFinal(state: RequestState): boolean {
  return FINAL.includes(state);
}

export function decide(state: RequestSnapshot | null, command: RequestCommand): Decision {
  if (command.type === 'Submit') {
    if (state) return { kind: 'rejected', code: 'ALREADY_EXISTS', message: `request ${command.id} already exists` };
    const { type: _type, ...data } = command;
    return accepted({ type: 'Submitted', ...data });
  }
  if (!state) return { kind: 'rejected', code: 'NOT_FOUND', message: 'no such request' };
  const s = state.state;

  switch (command.type) {
    case 'MarkPending':
      if (s === 'SUBMITTED') return accepted({ type: 'Pending', at: command.at, detail: command.detail });
      if (s === 'PENDING' && command.detail !== state.pendingDetail) {
        return accepted({ type: 'Pending', at: command.at, detail: command.detail });
      }
      return ignored(`already past SUBMITTED (${s})`);

    case 'RecordIssued':
      if (BEFORE_ISSUED.includes(s)) {
        const { type: _type, ...data } = command;
        return accepted({ type: 'Issued', ...data });
      }
      return ignored(
        state.thumbprint === command.thumbprint ? 'certificate already recorded' : `a certificate was already recorded (${s})`,
      );

    case 'RecordChainComplete': {
      if (BEFORE_ISSUED.includes(s)) return notYet('the certificate has not been recorded yet');
      // Only the certificate this request was issued may make it assignable.
      if (command.thumbprint !== state.thumbprint) return foreign(`validation of another certificate (${command.thumbprint}, not ${state.thumbprint})`);
      if (command.path[0] !== state.thumbprint) return foreign(`a validated path that does not start at the request's certificate (${state.thumbprint})`);
      if (s === 'ISSUED') {
        const completed: RequestEvent = { type: 'ChainCompleted', at: command.at, path: command.path };
        // The wizard's default: a certificate that validated at once is assigned at once. One that
        // had to wait for an import waits for an explicit Assign.
        return state.autoAssign
          ? accepted(completed, { type: 'AssignmentRequested', at: command.at, usages: state.usages, by: 'auto' })
          : accepted(completed);
      }
      if (s === 'CHAIN_INCOMPLETE') return accepted({ type: 'ChainCompleted', at: command.at, path: command.path });
      return ignored(`chain already complete (${s})`);
    }

    case 'RecordChainIncomplete':
      if (BEFORE_ISSUED.includes(s)) return notYet('the certificate has not been recorded yet');
      if (command.thumbprint !== state.thumbprint) return foreign(`validation of another certificate (${command.thumbprint}, not ${state.thumbprint})`);
      if (s === 'ISSUED' || s === 'CHAIN_INCOMPLETE') {
        if (s === 'CHAIN_INCOMPLETE' && sameMissing(state.validation?.missing, command.missing)) {
          return ignored('the same gap is already recorded');
        }
        return accepted({ type: 'ChainIncomplete', at: command.at, missing: command.missing, reasons: command.reasons });
      }
      // ASSIGNABLE after a trust-store removal stays assignable: trust is checked when the chain is
      // validated, and a later removal does not revoke a validation already done.
      return ignored(`not waiting for validation (${s})`);

    case 'Assign': {
      if (s !== 'ASSIGNABLE') {
        return {
          kind: 'rejected',
          code: 'NOT_ASSIGNABLE',
          message:
            s === 'CHAIN_INCOMPLETE'
              ? 'the certificate chain is incomplete: import the missing root or intermediate certificates, then assign'
              : `the request is ${s}; only an ASSIGNABLE request can be assigned`,
        };
      }
      const usages = command.usages ?? state.usages;
      const extra = usages.filter((u) => !state.usages.includes(u));
      if (extra.length > 0) {
        return { kind: 'rejected', code: 'USAGE_NOT_REQUESTED', message: `the request did not ask for ${extra.join(', ')}` };
      }
      return accepted({ type: 'AssignmentRequested', at: command.at, usages, by: 'operator', ...(command.actor ? { actor: command.actor } : {}) });
    }

    case 'RecordAssigned':
      if (s === 'ASSIGNABLE') {
        if (command.thumbprint !== state.thumbprint) return foreign(`assignment of another certificate (${command.thumbprint}, not ${state.thumbprint})`);
        return accepted({ type: 'Assigned', at: command.at, usages: command.usages, notBound: command.notBound });
      }
      if (s === 'ASSIGNED') return ignored('already assigned');
      if (s === 'FAILED') return ignored('the request failed');
      return notYet('the request is not assignable yet');

    case 'Fail':
      if (isFinal(s)) return ignored(`already final (${s})`);
      return accepted({ type: 'Failed', at: command.at, stage: command.stage, code: command.code, message: command.message });

    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

export function evolve(state: RequestSnapshot | null, event: RequestEvent): RequestSnapshot {
  if (event.type === 'Submitted') {
    return {
      id: event.id,
      host: event.host,
      state: 'SUBMITTED',
      usages: event.usages,
      autoAssign: event.autoAssign,
      issuer: event.issuer,
      friendlyName: event.friendlyName,
      csr: event.csr,
      createdAt: event.at,
      updatedAt: event.at,
      wasIncomplete: false,
    };
  }
  if (!state) throw new Error(`cannot apply ${event.type} to a request that does not exist`);
  const next: RequestSnapshot = { ...state, updatedAt: event.at };
  switch (event.type) {
    case 'Pending':
      return { ...next, state: 'PENDING', pendingDetail: event.detail };
    case 'Issued':
      return { ...next, state: 'ISSUED', thumbprint: event.thumbprint, certificate: event.certificate, chain: event.chain };
    case 'ChainCompleted':
      return { ...next, state: 'ASSIGNABLE', validation: { status: 'complete', path: event.path, validatedAt: event.at } };
    case 'ChainIncomplete':
      return {
        ...next,
        state: 'CHAIN_INCOMPLETE',
        wasIncomplete: true,
        validation: { status: 'incomplete', missing: event.missing, reasons: event.reasons, validatedAt: event.at },
      };
    case 'AssignmentRequested':
      return { ...next, assignmentRequestedAt: event.at };
    case 'Assigned':
      return {
        ...next,
        state: 'ASSIGNED',
        assignmentRequestedAt: undefined,
        assignment: { usages: event.usages, assignedAt: event.at, notBound: event.notBound },
      };
    case 'Failed':
      return {
        ...next,
        state: 'FAILED',
        failure: { stage: event.stage, code: event.code, message: event.message },
        validation:
          event.stage === 'validation'
            ? { status: 'invalid', reasons: [event.message], validatedAt: event.at }
            : state.validation,
      };
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
    case 'AssignmentRequested':
      return null;
  }
}

function sameMissing(a: MissingIssuer[] | undefined, b: MissingIssuer[]): boolean {
  if (!a || a.length !== b.length) return false;
  const key = (m: MissingIssuer) => `${m.kind}|${m.subject}|${m.authorityKeyIdentifier ?? ''}`;
  const left = a.map(key).sort();
  return b.map(key).sort().every((k, i) => k === left[i]);
}
