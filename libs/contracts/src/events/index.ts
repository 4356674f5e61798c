export * from './shared-schemas';
export * from './request-submitted.v1';
export * from './request-pending.v1';
export * from './certificate-issued.v1';
export * from './chain-complete.v1';
export * from './chain-incomplete.v1';
export * from './assignment-requested.v1';
export * from './certificate-assigned.v1';
export * from './request-failed.v1';
export * from './trust-updated.v1';
export * from './dead-letter.v1';
export * from './issuer-ca-published.v1';
export * from './certificate-uploaded.v1';
export * from './certificate-unassigned.v1';
export * from './certificate-renewal-due.v1';
export * from './certificate-expiring.v1';
export * from './certificate-expired.v1';
export * from './revocation-requested.v1';
export * from './certificate-revoked.v1';
export * from './chain-broken.v1';
export * from './certificate-untrusted.v1';

import { RequestSubmittedV1 } from './request-submitted.v1';
import { RequestPendingV1 } from './request-pending.v1';
import { CertificateIssuedV1 } from './certificate-issued.v1';
import { ChainCompleteV1 } from './chain-complete.v1';
import { ChainIncompleteV1 } from './chain-incomplete.v1';
import { AssignmentRequestedV1 } from './assignment-requested.v1';
import { CertificateAssignedV1 } from './certificate-assigned.v1';
import { RequestFailedV1 } from './request-failed.v1';
import { TrustUpdatedV1 } from './trust-updated.v1';
import { DeadLetterV1 } from './dead-letter.v1';
import { IssuerCaPublishedV1 } from './issuer-ca-published.v1';
import { CertificateUploadedV1 } from './certificate-uploaded.v1';
import { CertificateUnassignedV1 } from './certificate-unassigned.v1';
import { CertificateRenewalDueV1 } from './certificate-renewal-due.v1';
import { CertificateExpiringV1 } from './certificate-expiring.v1';
import { CertificateExpiredV1 } from './certificate-expired.v1';
import { RevocationRequestedV1 } from './revocation-requested.v1';
import { CertificateRevokedV1 } from './certificate-revoked.v1';
import { ChainBrokenV1 } from './chain-broken.v1';
import { CertificateUntrustedV1 } from './certificate-untrusted.v1';

/** Every event of the contract, in the order a request meets them. docs/events.md is generated from this. */
export const ALL_EVENTS = [
  RequestSubmittedV1,
  RequestPendingV1,
  CertificateUploadedV1,
  CertificateIssuedV1,
  ChainCompleteV1,
  ChainIncompleteV1,
  AssignmentRequestedV1,
  CertificateAssignedV1,
  CertificateUnassignedV1,
  CertificateRenewalDueV1,
  CertificateExpiringV1,
  CertificateExpiredV1,
  RevocationRequestedV1,
  CertificateRevokedV1,
  ChainBrokenV1,
  CertificateUntrustedV1,
  RequestFailedV1,
  TrustUpdatedV1,
  IssuerCaPublishedV1,
  DeadLetterV1,
] as const;
