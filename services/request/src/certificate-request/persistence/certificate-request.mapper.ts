import {
  hasBeenIncomplete,
  unknownState,
  type CompleteValidation,
  type IncompleteValidation,
  type RequestBase,
  type RequestSnapshot,
  type Revocation,
  type Validation,
} from '../domain/certificate-request.state';
import { CertificateRequestRow } from './certificate-request.orm-entity';

/**
 * A request as the columns a row has: one record, every state's fields optional. Only the
 * persistence edge sees it; the domain works with one type per state.
 */
export interface RequestRecord extends RequestBase {
  state: RequestSnapshot['state'];
  thumbprint?: string;
  certificate?: string;
  chain?: string[];
  wasIncomplete: boolean;
  validation?: Validation;
  assignment?: Extract<RequestSnapshot, { state: 'ASSIGNED' }>['assignment'];
  assignmentRequestedAt?: Date;
  failure?: Extract<RequestSnapshot, { state: 'FAILED' }>['failure'];
  pendingDetail?: string;
  renewalDueAt?: Date;
  supersededBy?: string;
}

/**
 * Domain → record. The state's own objects are kept as they are (not copied), so that comparing two
 * records field by field finds what a transition left alone (see `changedColumns`).
 */
export function toRecord(s: RequestSnapshot): RequestRecord {
  return { ...s, wasIncomplete: hasBeenIncomplete(s) };
}

/** Row → domain snapshot (the repository writes rows itself, in one statement). Dates in jsonb columns travel as ISO strings. */
export function toSnapshot(row: CertificateRequestRow): RequestSnapshot {
  return fromRecord({
    id: row.id,
    host: row.host,
    state: row.state,
    usages: row.usages,
    autoAssign: row.autoAssign,
    issuer: row.issuer,
    friendlyName: row.friendlyName,
    csr: row.csr,
    ...(row.renewalOf ? { renewalOf: row.renewalOf } : {}),
    ...(row.renewBefore ? { renewBefore: row.renewBefore } : {}),
    rotationPolicy: row.rotationPolicy ?? 'Always',
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    thumbprint: row.thumbprint ?? undefined,
    certificate: row.certificate ?? undefined,
    chain: row.chain ?? undefined,
    wasIncomplete: row.wasIncomplete,
    validation: row.validation ? ({ ...row.validation, validatedAt: new Date(row.validation.validatedAt) } as Validation) : undefined,
    assignment: row.assignment ? { ...row.assignment, assignedAt: new Date(row.assignment.assignedAt) } : undefined,
    assignmentRequestedAt: row.assignmentRequestedAt ? new Date(row.assignmentRequestedAt) : undefined,
    failure: row.failure ?? undefined,
    pendingDetail: row.pendingDetail ?? undefined,
    renewalDueAt: row.renewalDueAt ? new Date(row.renewalDueAt) : undefined,
    supersededBy: row.supersededBy ?? undefined,
    ...(row.revocation ? { revocation: revocationOf(row.revocation) } : {}),
  });
}

/** The revocation document (its instants travel as ISO text) → the domain's. */
function revocationOf(doc: NonNullable<CertificateRequestRow['revocation']>): Revocation {
  return {
    ...doc,
    requestedAt: new Date(doc.requestedAt),
    ...(doc.revokedAt ? { revokedAt: new Date(doc.revokedAt) } : {}),
  } as Revocation;
}

/** Record → the variant of its state, with that state's fields only. A row missing one is refused (it was written wrong). */
export function fromRecord(r: RequestRecord): RequestSnapshot {
  const base = {
    id: r.id,
    host: r.host,
    usages: r.usages,
    autoAssign: r.autoAssign,
    issuer: r.issuer,
    friendlyName: r.friendlyName,
    csr: r.csr,
    ...(r.renewalOf !== undefined ? { renewalOf: r.renewalOf } : {}),
    ...(r.renewBefore !== undefined ? { renewBefore: r.renewBefore } : {}),
    rotationPolicy: r.rotationPolicy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...(r.revocation !== undefined ? { revocation: r.revocation } : {}),
  };
  const dueAt = r.renewalDueAt !== undefined ? { renewalDueAt: r.renewalDueAt } : {};
  const need = <T>(value: T | undefined, field: string): T => {
    if (value === undefined) throw new Error(`request ${r.id} is ${r.state} but has no ${field}`);
    return value;
  };
  const issued = () => ({ thumbprint: need(r.thumbprint, 'thumbprint'), certificate: need(r.certificate, 'certificate'), chain: need(r.chain, 'chain') });
  const validation = <S extends Validation['status']>(status: S) => {
    const v = need(r.validation, 'validation');
    if (v.status !== status) throw new Error(`request ${r.id} is ${r.state} but its validation is ${v.status}`);
    return v as Extract<Validation, { status: S }>;
  };
  const state = r.state;
  switch (state) {
    case 'SUBMITTED':
      return { ...base, state };
    case 'PENDING':
      return { ...base, state, ...(r.pendingDetail !== undefined ? { pendingDetail: r.pendingDetail } : {}) };
    case 'ISSUED':
      return { ...base, ...issued(), state };
    case 'CHAIN_INCOMPLETE':
      return { ...base, ...issued(), state, validation: validation('incomplete') as IncompleteValidation };
    case 'ASSIGNABLE':
      return {
        ...base,
        ...issued(),
        state,
        validation: validation('complete') as CompleteValidation,
        wasIncomplete: r.wasIncomplete,
        ...(r.assignmentRequestedAt ? { assignmentRequestedAt: r.assignmentRequestedAt } : {}),
      };
    case 'ASSIGNED':
      return { ...base, ...issued(), state, validation: validation('complete') as CompleteValidation, wasIncomplete: r.wasIncomplete, assignment: need(r.assignment, 'assignment'), ...dueAt };
    case 'SUPERSEDED':
      return {
        ...base,
        ...issued(),
        state,
        validation: validation('complete') as CompleteValidation,
        wasIncomplete: r.wasIncomplete,
        assignment: need(r.assignment, 'assignment'),
        ...dueAt,
        ...(r.supersededBy !== undefined ? { supersededBy: r.supersededBy } : {}),
      };
    case 'REVOKED':
      return {
        ...base,
        ...issued(),
        state,
        revocation: need(r.revocation, 'revocation'),
        ...(r.validation ? { validation: r.validation } : {}),
        wasIncomplete: r.wasIncomplete,
        ...(r.assignment ? { assignment: r.assignment } : {}),
        ...dueAt,
        ...(r.supersededBy !== undefined ? { supersededBy: r.supersededBy } : {}),
      };
    case 'FAILED':
      return {
        ...base,
        ...(r.thumbprint !== undefined ? issued() : {}),
        state,
        failure: need(r.failure, 'failure'),
        ...(r.validation ? { validation: r.validation } : {}),
        wasIncomplete: r.wasIncomplete,
      };
    default:
      return unknownState(state);
  }
}
