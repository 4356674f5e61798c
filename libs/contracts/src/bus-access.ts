import { RPC, STREAM_SUBJECTS } from './subjects';
import { AssignmentRequestedV1 } from './events/assignment-requested.v1';
import { CertificateAssignedV1 } from './events/certificate-assigned.v1';
import { CertificateIssuedV1 } from './events/certificate-issued.v1';
import { CertificateUploadedV1 } from './events/certificate-uploaded.v1';
import { ChainCompleteV1 } from './events/chain-complete.v1';
import { ChainIncompleteV1 } from './events/chain-incomplete.v1';
import { DeadLetterV1 } from './events/dead-letter.v1';
import { IssuerCaPublishedV1 } from './events/issuer-ca-published.v1';
import { RequestFailedV1 } from './events/request-failed.v1';
import { RequestPendingV1 } from './events/request-pending.v1';
import { RequestSubmittedV1 } from './events/request-submitted.v1';
import { TrustUpdatedV1 } from './events/trust-updated.v1';
import { CertificateUnassignedV1 } from './events/certificate-unassigned.v1';
import { CertificateRenewalDueV1 } from './events/certificate-renewal-due.v1';
import { CertificateExpiringV1 } from './events/certificate-expiring.v1';
import { CertificateExpiredV1 } from './events/certificate-expired.v1';
import { RevocationRequestedV1 } from './events/revocation-requested.v1';
import { CertificateRevokedV1 } from './events/certificate-revoked.v1';
import { ChainBrokenV1 } from './events/chain-broken.v1';
import { CertificateUntrustedV1 } from './events/certificate-untrusted.v1';

/** The four services, each a NATS identity of its own. */
export const BUS_SERVICES = ['request', 'ca-gateway', 'trust-validation', 'assignment'] as const;
export type BusService = (typeof BUS_SERVICES)[number];

/**
 * What one service may say and hear on the bus. The NATS server's permissions are generated from
 * this table and nothing else, so a service that starts consuming or publishing a subject must be
 * given it here (test/architecture checks the handlers against it).
 */
export interface BusGrant {
  /** Event subjects the service publishes (through its outbox, or a dead letter). */
  publishes: readonly string[];
  /** Event subjects the service has a durable consumer for. */
  consumes: readonly string[];
  /** RPC subjects the service answers (in a queue group). */
  serves: readonly string[];
  /** RPC subjects the service asks. */
  calls: readonly string[];
  /** Subjects the service hears live without a durable consumer (the request service's console feed). */
  observes: readonly string[];
}

/** Identities that are not services: the stream's provisioning step, and read-only subscribers. */
export const BUS_PROVISIONER = 'provisioner';
export const BUS_SUBSCRIBER = 'subscriber';

// A `request.failed` can come from any stage; a dead letter from any consumer.
const failed = RequestFailedV1.subject;
const deadLetter = DeadLetterV1.subject;
const others = (self: BusService) => BUS_SERVICES.filter((s) => s !== self);

export const BUS_GRANTS: Readonly<Record<BusService, BusGrant>> = {
  request: {
    publishes: [RequestSubmittedV1.subject, CertificateUploadedV1.subject, AssignmentRequestedV1.subject, RevocationRequestedV1.subject, deadLetter],
    consumes: [
      RequestPendingV1.subject,
      CertificateIssuedV1.subject,
      ChainCompleteV1.subject,
      ChainIncompleteV1.subject,
      CertificateAssignedV1.subject,
      CertificateUnassignedV1.subject,
      CertificateRenewalDueV1.subject,
      CertificateExpiringV1.subject,
      CertificateExpiredV1.subject,
      CertificateRevokedV1.subject,
      failed,
      TrustUpdatedV1.subject,
      deadLetter,
    ],
    serves: [RPC.ping('request')],
    calls: [RPC.trustImport, RPC.trustList, RPC.trustRemove, RPC.certificateLookup, RPC.hostAssignments, RPC.pkiCrl, RPC.pkiOcsp, ...others('request').map(RPC.ping)],
    // The console's live updates: what happened, as it happens, to the people who may see it.
    observes: [...STREAM_SUBJECTS],
  },
  'ca-gateway': {
    publishes: [RequestPendingV1.subject, CertificateIssuedV1.subject, IssuerCaPublishedV1.subject, CertificateRevokedV1.subject, failed, deadLetter],
    consumes: [RequestSubmittedV1.subject, CertificateUploadedV1.subject, RevocationRequestedV1.subject],
    serves: [RPC.ping('ca-gateway'), RPC.pkiCrl, RPC.pkiOcsp],
    calls: [],
    observes: [],
  },
  'trust-validation': {
    publishes: [ChainCompleteV1.subject, ChainIncompleteV1.subject, TrustUpdatedV1.subject, ChainBrokenV1.subject, failed, deadLetter],
    consumes: [CertificateIssuedV1.subject, TrustUpdatedV1.subject, IssuerCaPublishedV1.subject],
    serves: [RPC.ping('trust-validation'), RPC.trustImport, RPC.trustList, RPC.trustRemove, RPC.certificateLookup],
    calls: [],
    observes: [],
  },
  assignment: {
    publishes: [
      CertificateAssignedV1.subject,
      CertificateUnassignedV1.subject,
      CertificateRenewalDueV1.subject,
      CertificateExpiringV1.subject,
      CertificateExpiredV1.subject,
      CertificateUntrustedV1.subject,
      failed,
      deadLetter,
    ],
    consumes: [ChainCompleteV1.subject, AssignmentRequestedV1.subject, CertificateRevokedV1.subject],
    serves: [RPC.ping('assignment'), RPC.hostAssignments],
    calls: [],
    observes: [],
  },
};

export function isBusService(name: string): name is BusService {
  return (BUS_SERVICES as readonly string[]).includes(name);
}
