import type { RequestState } from './request-state';
import type { Usage } from './usages';
import type { RevocationReason } from './revocation';
import type { MissingIssuer, UsageRefusal } from './events/shared-schemas';

/** "View Certificate Details": everything an operator checks before putting a certificate to use. */
export interface CertificateDetails {
  /** SHA-1 of the DER, upper-case hex. */
  thumbprint: string;
  /** SHA-256 of the DER, upper-case hex. */
  thumbprintSha256: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** e.g. `["DNS:pool.example.com", "IP:10.0.0.1"]`. */
  subjectAltNames: string[];
  publicKey: { algorithm: string; size?: number; curve?: string };
  signatureAlgorithm: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  basicConstraints: { ca: boolean; pathLength?: number } | null;
  subjectKeyIdentifier: string | null;
  authorityKeyIdentifier: string | null;
  pem: string;
}

export interface ValidationView {
  status: 'complete' | 'incomplete' | 'invalid';
  path?: string[];
  missing?: MissingIssuer[];
  reasons?: string[];
  validatedAt: string;
}

export interface RequestView {
  id: string;
  host: string;
  state: RequestState;
  usages: Usage[];
  autoAssign: boolean;
  issuer: string;
  friendlyName: string | null;
  createdAt: string;
  updatedAt: string;
  thumbprint?: string;
  certificate?: CertificateDetails;
  validation?: ValidationView;
  assignment?: { usages: Usage[]; assignedAt: string; notBound?: UsageRefusal[] };
  failure?: { stage: string; code: string; message: string };
  /** While PENDING: where the CA is (e.g. "ACME order pending https://ca/order/1"), as ca-gateway last said. */
  pending?: { detail: string };
  history: { state: RequestState; at: string; reason?: string }[];
  /** The request this one renews. */
  renewalOf?: string;
  /** ISO 8601 duration before notAfter at which the renewal window opens (absent: the configured default). */
  renewBefore?: string;
  rotationPolicy?: 'Always' | 'Never';
  /** SUPERSEDED: the request whose certificate took the bindings over. */
  supersededBy?: string;
  /** An ASSIGNED request's renewal, once its due date is known. */
  renewal?: RenewalStatusView;
  /** Added with revocation (#19): a revocation asked for, and once done, when and where. */
  revocation?: RevocationView;
}

/**
 * Where a certificate's revocation stands. `after-renewal`: asked with `renew: true`, published to
 * ca-gateway once its renewal took the bindings over; `requested`: sent to ca-gateway; `revoked`:
 * ca-gateway said it is done (`atCa` says where it is known).
 */
export interface RevocationView {
  reason: RevocationReason;
  requestedAt: string;
  actor?: string;
  state: 'requested' | 'revoked' | 'after-renewal';
  revokedAt?: string;
  atCa?: 'crl-ocsp' | 'acme' | 'manual';
}

/** The answer of `POST /api/v1/certificates/{thumbprint}/revoke` (also when it was revoked before: the first revocation). */
export interface RevokeCertificateView extends RevocationView {
  requestId: string;
  thumbprint: string;
  atCa: 'crl-ocsp' | 'acme' | 'manual';
  /** What happens next, in words: for an offline issuer, that it must be revoked at the CA by hand. */
  message: string;
  /** With `renew: true`: the renewal started (or the one already open). */
  renewalRequestId?: string;
}

/** Where a bound certificate's renewal stands (RequestView and the certificate inventory). */
export interface RenewalStatusView {
  dueAt: string;
  /** The latest renewal request, if one was made. */
  requestId?: string;
  state: 'scheduled' | 'waiting-for-host' | 'in-progress' | 'failed' | 'overdue';
}

/** `revoked`: its certificate was revoked (request REVOKED, or a revocation asked); `untrusted` comes with trust re-checks (#19). */
export const CERTIFICATE_STATUSES = ['active', 'superseded', 'revoked', 'expired', 'untrusted'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** One certificate of the inventory (`GET /api/v1/certificates`): one per request that has a certificate. */
export interface CertificateInventoryItem {
  thumbprint: string;
  requestId: string;
  host: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  status: CertificateStatus;
  /** The usages it is bound to when assigned, else those the request asked for. */
  usages: Usage[];
  /** Extra to the contract: the request's state. */
  requestState: RequestState;
  renewal?: RenewalStatusView;
  /** Added with revocation (#19): the SHA-1 thumbprint of the CA certificate that issued it, when known. */
  issuedBy?: string;
  revocation?: RevocationView;
}

/** A page of the inventory, soonest notAfter first; `nextCursor` null on the last page. */
export interface CertificateInventoryPage {
  items: CertificateInventoryItem[];
  nextCursor: string | null;
}

/** `GET /api/v1/certificates/expiry-summary?days=`: active certificates by week of notAfter from `from`, and those already expired. */
export interface ExpirySummaryView {
  from: string;
  days: number;
  expired: number;
  weeks: { start: string; end: string; count: number }[];
}

/**
 * One slot of a `POST /api/v1/requests/batch` answer, in the order of the submitted items. `status`
 * is what `POST /api/v1/requests` would have answered for that item alone: 201 stored now, 200 the
 * earlier request with the same idempotency key and body, 4xx refused with `error` (nothing stored).
 */
export interface BatchResultView {
  index: number;
  status: number;
  request?: RequestView;
  error?: ErrorBody['error'];
}

/** The answer of `POST /api/v1/requests/batch`: one result per item, in order. */
export interface BatchSubmitView {
  results: BatchResultView[];
}

export interface HostAssignmentsView {
  host: string;
  usages: Partial<Record<Usage, { thumbprint: string; requestId: string; assignedAt: string }>>;
}

/** Body of every error answer: `{"error": {...}}`. `code` is stable; `message` says what to fix. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
