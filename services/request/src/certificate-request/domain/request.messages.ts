/**
 * What the request decider takes (commands: what someone, or a fact from another service, asks
 * for) and gives (events: what happened to the request; or a decision that nothing happens).
 */
import type { MissingIssuer, RevocationReason, RotationPolicy, Usage, UsageRefusal } from '@certflow/contracts';
import type { CheckedCsr, X509Certificate } from '@certflow/pki';
import type { FailureStage } from './request.states';

/**
 * An offline CA's certificate, uploaded by `by`. Parsed at the edge (the decider does no parsing):
 * `csr` is the request's own stored CSR, checked; `offlineIssuers` the issuers that take uploads.
 */
export interface UploadCertificate {
  type: 'UploadCertificate';
  at: Date;
  by: string;
  offlineIssuers: readonly string[];
  csr: Pick<CheckedCsr, 'spkiFingerprint' | 'dnsNames' | 'ipAddresses'>;
  leaf: X509Certificate;
  chain: X509Certificate[];
}

/**
 * The certificate (PEM) and chain a validation fact carries when its publisher had them: with
 * them, the validation applies even before `certificate.issued` did (see `recordValidation`).
 */
export interface CarriedCertificate {
  certificate?: string;
  chain?: string[];
}

/** What a submission says about renewal: absent `renewalOf` is a first request. */
export interface RenewalTerms {
  renewalOf?: string;
  renewBefore?: string;
  /** Absent: `Always`, the contract's default. */
  rotationPolicy?: RotationPolicy;
}

/** What the decider is asked: by an operator (Submit, Assign, UploadCertificate) or by a fact another service published (the rest). */
export type RequestCommand =
  | ({ type: 'Submit'; at: Date; id: string; host: string; usages: Usage[]; autoAssign: boolean; issuer: string; friendlyName: string | null; csr: string } & RenewalTerms)
  | { type: 'MarkPending'; at: Date; detail?: string }
  | { type: 'RecordIssued'; at: Date; thumbprint: string; certificate: string; chain: string[] }
  | ({ type: 'RecordChainComplete'; at: Date; thumbprint: string; path: string[] } & CarriedCertificate)
  | ({ type: 'RecordChainIncomplete'; at: Date; thumbprint: string; missing: MissingIssuer[]; reasons: string[] } & CarriedCertificate)
  | { type: 'Assign'; at: Date; usages?: Usage[]; actor?: string }
  | { type: 'RecordAssigned'; at: Date; thumbprint: string; usages: Usage[]; notBound?: UsageRefusal[]; renewalDueAt?: Date }
  /** `certificate.unassigned`: bindings of the certificate were released; `remaining` what it is still bound to. */
  | { type: 'RecordUnassigned'; at: Date; thumbprint: string; reason: 'replaced' | 'revoked' | 'untrusted'; remaining: Usage[]; replacedBy?: string }
  /** `certificate.renewal-due`: the expiry watch opened the renewal window of the certificate. */
  | { type: 'RecordRenewalDue'; at: Date; thumbprint: string; dueAt: Date }
  | { type: 'Fail'; at: Date; stage: FailureStage; code: string; message: string }
  /** POST .../revoke: `afterRenewal` holds it back until the request is SUPERSEDED by its renewal. */
  | { type: 'RequestRevocation'; at: Date; reason: RevocationReason; actor?: string; afterRenewal: boolean }
  /** `certificate.revoked`: ca-gateway revoked the certificate at its CA (or recorded it, offline). */
  | { type: 'RecordRevoked'; at: Date; thumbprint: string; reason: RevocationReason; revokedAt: Date; atCa?: 'crl-ocsp' | 'acme' | 'manual' }
  | UploadCertificate;

/** The commands about a request that exists (every command but Submit). */
export type ExistingRequestCommand = Exclude<RequestCommand, { type: 'Submit' }>;

/** What happened to a request; `evolve` applies them, `stateAfter` names the state each leads to. */
export type RequestEvent =
  | ({ type: 'Submitted'; at: Date; id: string; host: string; usages: Usage[]; autoAssign: boolean; issuer: string; friendlyName: string | null; csr: string } & RenewalTerms)
  | { type: 'Pending'; at: Date; detail?: string }
  | { type: 'Issued'; at: Date; thumbprint: string; certificate: string; chain: string[] }
  | { type: 'ChainCompleted'; at: Date; path: string[] }
  | { type: 'ChainIncomplete'; at: Date; missing: MissingIssuer[]; reasons: string[] }
  | { type: 'AssignmentRequested'; at: Date; usages: Usage[]; by: 'auto' | 'operator'; actor?: string }
  | { type: 'Assigned'; at: Date; usages: Usage[]; notBound?: UsageRefusal[]; renewalDueAt?: Date }
  /** Its last binding was taken over by another certificate (`by`: that one's request). */
  | { type: 'Superseded'; at: Date; by?: string }
  /** When the renewal window opens, learnt after the assignment. */
  | { type: 'RenewalDueRecorded'; at: Date; dueAt: Date }
  | { type: 'Failed'; at: Date; stage: FailureStage; code: string; message: string }
  /** A revocation was asked for: sent at once (revocation.requested), or held until the renewal took over (`afterRenewal`). */
  | { type: 'RevocationRequested'; at: Date; reason: RevocationReason; actor?: string; afterRenewal: boolean }
  /** A held revocation is sent now (the request became SUPERSEDED): revocation.requested. */
  | { type: 'RevocationReleased'; at: Date }
  /** The certificate is revoked at its CA. */
  | { type: 'Revoked'; at: Date; reason: RevocationReason; revokedAt: Date; atCa?: 'crl-ocsp' | 'acme' | 'manual' }
  /** An upload was accepted (PEM): ca-gateway brings it into the flow as `certificate.issued`; the state waits for that. */
  | { type: 'CertificateUploaded'; at: Date; certificate: string; chain: string[]; by: string };

/**
 * Why a command is refused, stable (they are the API's error codes):
 * - NOT_FOUND, ALREADY_EXISTS: the request does not exist / already does;
 * - NOT_ASSIGNABLE, USAGE_NOT_REQUESTED: Assign;
 * - NOT_OFFLINE, NOT_PENDING, KEY_MISMATCH, CERTIFICATE_NAMES_MISMATCH: UploadCertificate;
 * - NOT_REVOCABLE: RequestRevocation of a request that FAILED (its certificate never went into use).
 */
export type RejectionCode =
  | 'NOT_ASSIGNABLE'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'USAGE_NOT_REQUESTED'
  | 'NOT_OFFLINE'
  | 'NOT_PENDING'
  | 'KEY_MISMATCH'
  | 'CERTIFICATE_NAMES_MISMATCH'
  | 'NOT_REVOCABLE';

/**
 * The outcome of a decision.
 * - `accepted`: apply these events.
 * - `ignored`: a fact already applied, or one that no longer matters (a late event for a final request).
 *   `foreign`: the fact is about a certificate this request was not issued (another thumbprint, a
 *   path that does not start at its certificate): it changes nothing, and is worth a warning.
 * - `notYet`: a fact that arrived before the one it follows and does not carry what that one brings
 *   (events travel on separate consumers); retry later.
 * - `rejected`: an operator's command that is not allowed; `code` is stable, `details` say more.
 */
export type Decision =
  | { kind: 'accepted'; events: RequestEvent[] }
  | { kind: 'ignored'; reason: string; foreign?: true }
  | { kind: 'notYet'; reason: string }
  | { kind: 'rejected'; code: RejectionCode; message: string; details?: Record<string, unknown> };

/** Decision builders, one per kind (see {@link Decision}). */
export const accepted = (...events: RequestEvent[]): Decision => ({ kind: 'accepted', events });
export const ignored = (reason: string): Decision => ({ kind: 'ignored', reason });
export const foreign = (reason: string): Decision => ({ kind: 'ignored', reason, foreign: true });
export const notYet = (reason: string): Decision => ({ kind: 'notYet', reason });
export const rejected = (code: RejectionCode, message: string, details?: Record<string, unknown>): Decision =>
  details === undefined ? { kind: 'rejected', code, message } : { kind: 'rejected', code, message, details };

/** Any command but Submit, for a request that does not exist. */
export const NO_SUCH_REQUEST: Decision = { kind: 'rejected', code: 'NOT_FOUND', message: 'no such request' };
