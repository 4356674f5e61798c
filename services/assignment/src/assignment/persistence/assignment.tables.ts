import { defineTable } from '@certflow/messaging';
import type { AssignmentRequested } from '../assign-certificate.service';

/**
 * The assignment service's tables as its fact handlers write them (see the migrations for what
 * each holds). Every write goes through these maps; reads stay plain SQL.
 */

/** trust-validation declared this certificate of this request chain-complete: the licence to bind. */
export interface ChainCompleteRecord {
  requestId: string;
  thumbprint: string;
  seenAt: Date;
}
export const CHAIN_COMPLETE = defineTable<ChainCompleteRecord>(
  'chain_complete',
  { requestId: { name: 'request_id', type: 'text' }, thumbprint: { name: 'thumbprint', type: 'text' }, seenAt: { name: 'seen_at', type: 'timestamptz' } },
  ['requestId', 'thumbprint'],
);

/** What a host's usage is bound to now; `host` is lower-case. */
export interface BindingRecord {
  host: string;
  usage: string;
  thumbprint: string;
  requestId: string;
  assignedAt: Date;
}
export const BINDING = defineTable<BindingRecord>(
  'binding',
  {
    host: { name: 'host', type: 'text' },
    usage: { name: 'usage', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    requestId: { name: 'request_id', type: 'text' },
    assignedAt: { name: 'assigned_at', type: 'timestamptz' },
  },
  ['host', 'usage'],
);

/** One binding ever made and the certificate it replaced; its id (a sequence) keeps the order rows are written in. */
export interface BindingHistoryRecord extends BindingRecord {
  replacedThumbprint: string | null;
}
export const BINDING_HISTORY = defineTable<BindingHistoryRecord>(
  'binding_history',
  { ...BINDING.columns, replacedThumbprint: { name: 'replaced_thumbprint', type: 'text' } },
  // Never updated; the key only names the row for the library.
  ['host', 'usage', 'requestId'],
);

/** The idempotency record of an assignment: one per request, whether it bound or failed. */
export interface AssignmentRecord {
  requestId: string;
  thumbprint: string;
  usages: string[];
  notBound: unknown[];
  assignedAt: Date;
}
export const ASSIGNMENT = defineTable<AssignmentRecord>(
  'assignment',
  {
    requestId: { name: 'request_id', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    usages: { name: 'usages', type: 'jsonb' },
    notBound: { name: 'not_bound', type: 'jsonb' },
    assignedAt: { name: 'assigned_at', type: 'timestamptz' },
  },
  ['requestId'],
);

/** An assignment asked for before its chain.complete arrived; bound (and `boundAt` set) when it does. */
export interface AssignmentWantedRecord {
  requestId: string;
  thumbprint: string;
  request: AssignmentRequested;
  requestedAt: Date;
  boundAt: Date | null;
}
export const ASSIGNMENT_WANTED = defineTable<AssignmentWantedRecord>(
  'assignment_wanted',
  {
    requestId: { name: 'request_id', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    request: { name: 'request', type: 'jsonb' },
    requestedAt: { name: 'requested_at', type: 'timestamptz' },
    boundAt: { name: 'bound_at', type: 'timestamptz' },
  },
  ['requestId'],
);

/** A certificate ca-gateway revoked: it is never bound again (see OnCertificateRevokedConsumer). */
export interface RevokedCertificateRecord {
  thumbprint: string;
  requestId: string;
  revokedAt: Date;
}
export const REVOKED_CERTIFICATE = defineTable<RevokedCertificateRecord>(
  'revoked_certificate',
  { thumbprint: { name: 'thumbprint', type: 'text' }, requestId: { name: 'request_id', type: 'text' }, revokedAt: { name: 'revoked_at', type: 'timestamptz' } },
  ['thumbprint'],
);
