import type { RequestView, RevocationView } from '@certflow/contracts';
import { unknownState, type IssuedCertificate, type RequestSnapshot, type Revocation, type Validation } from '../domain/certificate-request.state';
import type { RequestHistoryRow } from '../persistence/certificate-request.orm-entity';
import type { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import type { RenewalView } from '../renewal/renewal.status';

type StateFields = Pick<RequestView, 'thumbprint' | 'certificate' | 'validation' | 'assignment' | 'failure' | 'pending'>;

/** The public RequestView of the contract: one shape for every state, what a state lacks left out. */
export function toRequestView(s: RequestSnapshot, history: RequestHistoryRow[], catalog: CertificateCatalogService, renewal?: RenewalView): RequestView {
  return {
    id: s.id,
    host: s.host,
    state: s.state,
    usages: s.usages,
    autoAssign: s.autoAssign,
    issuer: s.issuer,
    friendlyName: s.friendlyName,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    ...stateFields(s, catalog),
    history: history.map((h) => ({ state: h.state, at: new Date(h.at).toISOString(), ...(h.reason ? { reason: h.reason } : {}) })),
    ...(s.renewalOf ? { renewalOf: s.renewalOf } : {}),
    ...(s.renewBefore ? { renewBefore: s.renewBefore } : {}),
    rotationPolicy: s.rotationPolicy,
    ...((s.state === 'SUPERSEDED' || s.state === 'REVOKED') && s.supersededBy ? { supersededBy: s.supersededBy } : {}),
    ...(renewal ? { renewal } : {}),
    ...(s.revocation ? { revocation: revocationView(s.revocation) } : {}),
  };
}

/** The revocation as the view and the revoke route show it. */
export function revocationView(r: Revocation): RevocationView {
  return {
    reason: r.reason,
    requestedAt: r.requestedAt.toISOString(),
    ...(r.actor ? { actor: r.actor } : {}),
    state: r.state,
    ...(r.revokedAt ? { revokedAt: r.revokedAt.toISOString() } : {}),
    ...(r.atCa ? { atCa: r.atCa } : {}),
  };
}

/** What the request's state has, in the view's order: thumbprint, certificate, validation, assignment, failure, pending. */
function stateFields(s: RequestSnapshot, catalog: CertificateCatalogService): StateFields {
  switch (s.state) {
    case 'SUBMITTED':
      return {};
    case 'PENDING':
      return s.pendingDetail ? { pending: { detail: s.pendingDetail } } : {};
    case 'ISSUED':
      return certificateFields(s, catalog);
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
      return { ...certificateFields(s, catalog), validation: validationView(s.validation) };
    case 'ASSIGNED':
    case 'SUPERSEDED':
      return {
        ...certificateFields(s, catalog),
        validation: validationView(s.validation),
        assignment: { ...s.assignment, assignedAt: s.assignment.assignedAt.toISOString() },
      };
    case 'REVOKED':
      return {
        ...certificateFields(s, catalog),
        ...(s.validation ? { validation: validationView(s.validation) } : {}),
        ...(s.assignment ? { assignment: { ...s.assignment, assignedAt: s.assignment.assignedAt.toISOString() } } : {}),
      };
    case 'FAILED':
      return {
        ...certificateFields(s, catalog),
        ...(s.validation ? { validation: validationView(s.validation) } : {}),
        failure: s.failure,
      };
    default:
      return unknownState(s);
  }
}

function certificateFields(s: Partial<IssuedCertificate>, catalog: CertificateCatalogService): StateFields {
  return {
    ...(s.thumbprint ? { thumbprint: s.thumbprint } : {}),
    ...(s.certificate ? { certificate: catalog.details(s.certificate) } : {}),
  };
}

function validationView(v: Validation): NonNullable<RequestView['validation']> {
  return { ...v, validatedAt: v.validatedAt.toISOString() };
}
