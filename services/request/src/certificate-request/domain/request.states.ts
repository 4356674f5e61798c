/**
 * A certificate request, one type per state: each variant carries exactly what a request in that
 * state has (a certificate from ISSUED on, the validation result once validated, the assignment once
 * ASSIGNED, the failure once FAILED). A new state of the contract (SUPERSEDED, REVOKED) is one more
 * variant here; the compiler then names every decision, mapper and view that must handle it.
 */
import type { MissingIssuer, RequestState, RevocationReason, RotationPolicy, Usage, UsageRefusal } from '@certflow/contracts';

/**
 * A revocation of the request's certificate (POST .../revoke, or certificate.revoked). `state`:
 * `after-renewal` waits for the request to be SUPERSEDED by its renewal before it is sent;
 * `requested` was sent to ca-gateway (revocation.requested); `revoked` ca-gateway said it is done.
 */
export interface Revocation {
  reason: RevocationReason;
  requestedAt: Date;
  actor?: string;
  state: 'after-renewal' | 'requested' | 'revoked';
  revokedAt?: Date;
  atCa?: 'crl-ocsp' | 'acme' | 'manual';
}

/** What every request has from its submission on; none of it changes after. */
export interface RequestBase {
  id: string;
  host: string;
  usages: Usage[];
  autoAssign: boolean;
  issuer: string;
  friendlyName: string | null;
  csr: string;
  /** The request this one renews (set by the renew route, or by certflow for a `Never` renewal). */
  renewalOf?: string;
  /** How long before notAfter the renewal window opens (ISO 8601 duration); absent: the configured default. */
  renewBefore?: string;
  /** Who makes the renewal's key: `Always` the host (a new CSR), `Never` certflow re-submits this CSR. */
  rotationPolicy: RotationPolicy;
  createdAt: Date;
  /** When the request last changed (its state, or an Assign asked for). */
  updatedAt: Date;
  /** Set once a revocation is asked for (any state with a certificate); it then only moves forward. */
  revocation?: Revocation;
}

/** The certificate the CA returned for the request (set by `certificate.issued`), with the chain as it came. */
export interface IssuedCertificate {
  thumbprint: string;
  certificate: string;
  chain: string[];
}

/** trust-validation built a path from the certificate to a trusted root (`chain.complete`). */
export interface CompleteValidation {
  status: 'complete';
  /** Thumbprints, leaf → root. */
  path: string[];
  validatedAt: Date;
}

/** trust-validation found no path: what is missing (`chain.incomplete`). */
export interface IncompleteValidation {
  status: 'incomplete';
  missing: MissingIssuer[];
  reasons: string[];
  validatedAt: Date;
}

/** The certificate cannot be valid whatever is imported (a failure at the validation stage). */
export interface InvalidValidation {
  status: 'invalid';
  reasons: string[];
  validatedAt: Date;
}

export type Validation = CompleteValidation | IncompleteValidation | InvalidValidation;

/** The usages the assignment service bound (`certificate.assigned`), and those it could not. */
export interface Assignment {
  usages: Usage[];
  assignedAt: Date;
  notBound?: UsageRefusal[];
}

export type FailureStage = 'issuance' | 'validation' | 'assignment';

/** Why a request failed: the stage, a stable code from the service that failed it, and its message. */
export interface Failure {
  stage: FailureStage;
  code: string;
  message: string;
}

/** Submitted, not yet with the CA. */
export interface SubmittedRequest extends RequestBase {
  state: 'SUBMITTED';
}

/** The CA has it (an ACME order in flight; an offline issuer waiting for the upload). */
export interface PendingRequest extends RequestBase {
  state: 'PENDING';
  /** What the CA said it is waiting for, shown as the view's `pending.detail`. */
  pendingDetail?: string;
}

/** The certificate is recorded; its chain is being validated. */
export interface IssuedRequest extends RequestBase, IssuedCertificate {
  state: 'ISSUED';
}

/** The chain does not reach a trusted root: it waits for an import and a new validation. */
export interface ChainIncompleteRequest extends RequestBase, IssuedCertificate {
  state: 'CHAIN_INCOMPLETE';
  validation: IncompleteValidation;
}

/** Validated: it may be assigned. */
export interface AssignableRequest extends RequestBase, IssuedCertificate {
  state: 'ASSIGNABLE';
  validation: CompleteValidation;
  /** It went through CHAIN_INCOMPLETE, so it waits for an explicit Assign whatever `autoAssign` says. */
  wasIncomplete: boolean;
  /** When Assign was asked for (auto or by an operator) and not yet done. */
  assignmentRequestedAt?: Date;
}

/** Bound to its usages on the host. Final, but for SUPERSEDED (its renewal took its bindings over). */
export interface AssignedRequest extends RequestBase, IssuedCertificate {
  state: 'ASSIGNED';
  validation: CompleteValidation;
  wasIncomplete: boolean;
  assignment: Assignment;
  /** When the expiry watch opens (or opened) the renewal window: from certificate.assigned or renewal-due. */
  renewalDueAt?: Date;
}

/**
 * Was ASSIGNED; every binding it had was taken over by another certificate (its renewal, as a rule),
 * so it is bound nowhere now (`certificate.unassigned` with `reason: replaced`, nothing remaining). Final.
 */
export interface SupersededRequest extends RequestBase, IssuedCertificate {
  state: 'SUPERSEDED';
  validation: CompleteValidation;
  wasIncomplete: boolean;
  assignment: Assignment;
  renewalDueAt?: Date;
  /** The request whose certificate took the last binding over, when the fact named it. */
  supersededBy?: string;
}

/**
 * Its certificate was revoked (certificate.revoked). Final: certflow does not un-revoke. It keeps
 * what it had reached (validation, assignment, what superseded it) for the view and the inventory.
 */
export interface RevokedRequest extends RequestBase, IssuedCertificate {
  state: 'REVOKED';
  revocation: Revocation;
  validation?: Validation;
  wasIncomplete: boolean;
  assignment?: Assignment;
  renewalDueAt?: Date;
  supersededBy?: string;
}

/**
 * Failed at some stage. Final. It keeps what it had reached: the certificate fields (all three or
 * none) when it failed after issuance, and the last validation result, if any.
 */
export interface FailedRequest extends RequestBase, Partial<IssuedCertificate> {
  state: 'FAILED';
  failure: Failure;
  validation?: Validation;
  wasIncomplete: boolean;
}

/** A request in any state: switch on `state` to reach what that state has. */
export type RequestSnapshot =
  | SubmittedRequest
  | PendingRequest
  | IssuedRequest
  | ChainIncompleteRequest
  | AssignableRequest
  | AssignedRequest
  | FailedRequest
  | SupersededRequest
  | RevokedRequest;

/** The variant of one state. */
export type RequestIn<S extends RequestState> = Extract<RequestSnapshot, { state: S }>;

// The variants and the contract's states are the same set: a state added to the contract without a
// variant here (or the reverse) fails to compile.
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _everyStateHasAVariant: SameSet<RequestSnapshot['state'], RequestState> = true;
void _everyStateHasAVariant;

/** Thrown where a switch on `state` met a state it does not know: unreachable while the types hold. */
export function unknownState(s: never): never {
  throw new Error(`unknown request state ${(s as { state?: unknown }).state}`);
}

/** ASSIGNED (but for SUPERSEDED), FAILED and SUPERSEDED are final: no fact moves them any more. Listed per state so a new one is decided. */
const FINAL: Record<RequestState, boolean> = {
  SUBMITTED: false,
  PENDING: false,
  ISSUED: false,
  CHAIN_INCOMPLETE: false,
  ASSIGNABLE: false,
  ASSIGNED: true,
  FAILED: true,
  SUPERSEDED: true,
  REVOKED: true,
};

/** Whether no fact moves a request in this state any more. */
export function isFinal(state: RequestState): boolean {
  return FINAL[state];
}

/** The base fields of any request (no state-specific field). */
export function baseOf(s: RequestSnapshot): RequestBase {
  const { id, host, usages, autoAssign, issuer, friendlyName, csr, renewalOf, renewBefore, rotationPolicy, createdAt, updatedAt, revocation } = s;
  return {
    id,
    host,
    usages,
    autoAssign,
    issuer,
    friendlyName,
    csr,
    ...(renewalOf !== undefined ? { renewalOf } : {}),
    ...(renewBefore !== undefined ? { renewBefore } : {}),
    rotationPolicy,
    createdAt,
    updatedAt,
    ...(revocation !== undefined ? { revocation } : {}),
  };
}

/** The certificate the request was issued, once it has one. */
export function certificateOf(s: RequestSnapshot): IssuedCertificate | undefined {
  switch (s.state) {
    case 'SUBMITTED':
    case 'PENDING':
      return undefined;
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      return s.thumbprint !== undefined && s.certificate !== undefined && s.chain !== undefined
        ? { thumbprint: s.thumbprint, certificate: s.certificate, chain: s.chain }
        : undefined;
    default:
      return unknownState(s);
  }
}

/** The last validation result, once the chain was validated. */
export function validationOf(s: RequestSnapshot): Validation | undefined {
  return 'validation' in s ? s.validation : undefined;
}

/** Whether the request has been CHAIN_INCOMPLETE at some point (it is, or went through it). */
export function hasBeenIncomplete(s: RequestSnapshot): boolean {
  switch (s.state) {
    case 'SUBMITTED':
    case 'PENDING':
    case 'ISSUED':
      return false;
    case 'CHAIN_INCOMPLETE':
      return true;
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      return s.wasIncomplete;
    default:
      return unknownState(s);
  }
}
