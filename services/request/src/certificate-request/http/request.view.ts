import type { RequestView } from '@certflow/contracts';
import type { RequestSnapshot } from '../domain/certificate-request.state';
import type { RequestHistoryRow } from '../persistence/certificate-request.orm-entity';
import type { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';

/** The public RequestView of the contract. */
export function toRequestView(s: RequestSnapshot, history: RequestHistoryRow[], catalog: CertificateCatalogService): RequestView {
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
    ...(s.thumbprint ? { thumbprint: s.thumbprint } : {}),
    ...(s.certificate ? { certificate: catalog.details(s.certificate) } : {}),
    ...(s.validation ? { validation: { ...s.validation, validatedAt: s.validation.validatedAt.toISOString() } } : {}),
    ...(s.assignment ? { assignment: { ...s.assignment, assignedAt: s.assignment.assignedAt.toISOString() } } : {}),
    ...(s.failure ? { failure: s.failure } : {}),
    ...(s.state === 'PENDING' && s.pendingDetail ? { pending: { detail: s.pendingDetail } } : {}),
    history: history.map((h) => ({ state: h.state, at: new Date(h.at).toISOString(), ...(h.reason ? { reason: h.reason } : {}) })),
  };
}
