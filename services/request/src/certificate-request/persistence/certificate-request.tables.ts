// The request service's tables as it writes them: every write (a command's, a fact's) is built from
// these maps by @certflow/messaging's planWrites, never spliced by hand with numbered parameters.
import { defineTable } from '@certflow/messaging';
import type { RequestState } from '@certflow/contracts';
import type { RequestRecord } from './certificate-request.mapper';

/**
 * A certificate_request row as it is sent: documents (`usages`, `chain`, `validation`, …) as the
 * objects the record holds (the column map makes them JSON; their instants become ISO text), an
 * absent field as null.
 */
export interface CertificateRequestColumns {
  id: string;
  host: string;
  state: RequestState;
  usages: unknown;
  autoAssign: boolean;
  issuer: string;
  friendlyName: string | null;
  csr: string;
  thumbprint: string | null;
  certificate: string | null;
  chain: unknown;
  wasIncomplete: boolean;
  validation: unknown;
  assignment: unknown;
  assignmentRequestedAt: Date | null;
  failure: unknown;
  pendingDetail: string | null;
  idempotencyKey: string | null;
  bodyHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Bumped by every change of the request (one per command or fact applied). */
  version: number;
  renewalOf: string | null;
  renewBefore: string | null;
  rotationPolicy: string;
  /** Out of the certificate when it is recorded (see `validityOf`); not part of the domain state. */
  notBefore: Date | null;
  notAfter: Date | null;
  renewalDueAt: Date | null;
  supersededBy: string | null;
  revocation: unknown;
  /** Derived from the validation path (or the chain) when either changes; not part of the domain state. */
  issuedBy: string | null;
}

export const CERTIFICATE_REQUEST = defineTable<CertificateRequestColumns>(
  'certificate_request',
  {
    id: { name: 'id', type: 'uuid' },
    host: { name: 'host', type: 'text' },
    state: { name: 'state', type: 'text' },
    usages: { name: 'usages', type: 'jsonb' },
    autoAssign: { name: 'auto_assign', type: 'bool' },
    issuer: { name: 'issuer', type: 'text' },
    friendlyName: { name: 'friendly_name', type: 'text' },
    csr: { name: 'csr', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    certificate: { name: 'certificate', type: 'text' },
    chain: { name: 'chain', type: 'jsonb' },
    wasIncomplete: { name: 'was_incomplete', type: 'bool' },
    validation: { name: 'validation', type: 'jsonb' },
    assignment: { name: 'assignment', type: 'jsonb' },
    assignmentRequestedAt: { name: 'assignment_requested_at', type: 'timestamptz' },
    failure: { name: 'failure', type: 'jsonb' },
    pendingDetail: { name: 'pending_detail', type: 'text' },
    idempotencyKey: { name: 'idempotency_key', type: 'text' },
    bodyHash: { name: 'body_hash', type: 'text' },
    createdAt: { name: 'created_at', type: 'timestamptz' },
    updatedAt: { name: 'updated_at', type: 'timestamptz' },
    version: { name: 'version', type: 'int' },
    renewalOf: { name: 'renewal_of', type: 'uuid' },
    renewBefore: { name: 'renew_before', type: 'text' },
    rotationPolicy: { name: 'rotation_policy', type: 'text' },
    notBefore: { name: 'not_before', type: 'timestamptz' },
    notAfter: { name: 'not_after', type: 'timestamptz' },
    renewalDueAt: { name: 'renewal_due_at', type: 'timestamptz' },
    supersededBy: { name: 'superseded_by', type: 'uuid' },
    revocation: { name: 'revocation', type: 'jsonb' },
    issuedBy: { name: 'issued_by', type: 'text' },
  },
  ['id'],
);

/** The fields a command or fact may change: all but the identity, what was submitted and the idempotency pair. */
export const MUTABLE_FIELDS = [
  'state',
  'usages',
  'thumbprint',
  'certificate',
  'chain',
  'wasIncomplete',
  'validation',
  'assignment',
  'assignmentRequestedAt',
  'failure',
  'pendingDetail',
  'renewalDueAt',
  'supersededBy',
  'revocation',
  'updatedAt',
] as const satisfies readonly (keyof RequestRecord & keyof CertificateRequestColumns)[];

export type MutableField = (typeof MUTABLE_FIELDS)[number];

/** One row per state a request went through; `seq` (its order) is the table's own. */
export interface RequestHistoryColumns {
  seq?: string;
  requestId: string;
  state: RequestState;
  at: Date;
  reason: string | null;
}

export const REQUEST_HISTORY = defineTable<RequestHistoryColumns>(
  'request_history',
  {
    seq: { name: 'seq', type: 'bigint' },
    requestId: { name: 'request_id', type: 'uuid' },
    state: { name: 'state', type: 'text' },
    at: { name: 'at', type: 'timestamptz' },
    reason: { name: 'reason', type: 'text' },
  },
  ['seq'],
);
