import type { RequestSnapshot } from '../domain/certificate-request.state';
import { CertificateRequestRow } from './certificate-request.orm-entity';

/** Row → domain snapshot (the repository writes rows itself, in one statement). Dates in jsonb columns travel as ISO strings. */
export function toSnapshot(row: CertificateRequestRow): RequestSnapshot {
  return {
    id: row.id,
    host: row.host,
    state: row.state,
    usages: row.usages,
    autoAssign: row.autoAssign,
    issuer: row.issuer,
    friendlyName: row.friendlyName,
    csr: row.csr,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    thumbprint: row.thumbprint ?? undefined,
    certificate: row.certificate ?? undefined,
    chain: row.chain ?? undefined,
    wasIncomplete: row.wasIncomplete,
    validation: row.validation ? { ...row.validation, validatedAt: new Date(row.validation.validatedAt) } : undefined,
    assignment: row.assignment ? { ...row.assignment, assignedAt: new Date(row.assignment.assignedAt) } : undefined,
    assignmentRequestedAt: row.assignmentRequestedAt ? new Date(row.assignmentRequestedAt) : undefined,
    failure: row.failure ?? undefined,
    pendingDetail: row.pendingDetail ?? undefined,
  };
}
