import type { RequestSnapshot } from '../domain/certificate-request.state';
import { CertificateRequestRow } from './certificate-request.orm-entity';

/** Row ⇄ domain snapshot. Dates in jsonb columns travel as ISO strings. */
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

export function toRow(s: RequestSnapshot, extra: Pick<CertificateRequestRow, 'idempotencyKey' | 'bodyHash'> | null): Partial<CertificateRequestRow> {
  return {
    id: s.id,
    host: s.host,
    state: s.state,
    usages: s.usages,
    autoAssign: s.autoAssign,
    issuer: s.issuer,
    friendlyName: s.friendlyName,
    csr: s.csr,
    thumbprint: s.thumbprint ?? null,
    certificate: s.certificate ?? null,
    chain: s.chain ?? null,
    wasIncomplete: s.wasIncomplete,
    validation: s.validation ? { ...s.validation, validatedAt: s.validation.validatedAt.toISOString() } : null,
    assignment: s.assignment ? { ...s.assignment, assignedAt: s.assignment.assignedAt.toISOString() } : null,
    assignmentRequestedAt: s.assignmentRequestedAt ?? null,
    failure: s.failure ?? null,
    pendingDetail: s.pendingDetail ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    ...(extra ?? {}),
  };
}
