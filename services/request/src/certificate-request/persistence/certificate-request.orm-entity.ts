import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MissingIssuer, RequestState, RevocationReason, RotationPolicy, Usage, UsageRefusal } from '@certflow/contracts';

/** One row per request: its current state. Transitions are kept in request_history. */
@Entity('certificate_request')
export class CertificateRequestRow {
  @PrimaryColumn('uuid') id: string;
  @Column('text') host: string;
  @Column('text') state: RequestState;
  @Column('jsonb') usages: Usage[];
  @Column('boolean', { name: 'auto_assign' }) autoAssign: boolean;
  @Column('text') issuer: string;
  @Column('text', { name: 'friendly_name', nullable: true }) friendlyName: string | null;
  @Column('text') csr: string;
  @Column('text', { nullable: true }) thumbprint: string | null;
  @Column('text', { nullable: true }) certificate: string | null;
  @Column('jsonb', { nullable: true }) chain: string[] | null;
  @Column('boolean', { name: 'was_incomplete', default: false }) wasIncomplete: boolean;
  @Column('jsonb', { nullable: true }) validation: {
    status: 'complete' | 'incomplete' | 'invalid';
    path?: string[];
    missing?: MissingIssuer[];
    reasons?: string[];
    validatedAt: string;
  } | null;
  @Column('jsonb', { nullable: true }) assignment: { usages: Usage[]; assignedAt: string; notBound?: UsageRefusal[] } | null;
  @Column('timestamptz', { name: 'assignment_requested_at', nullable: true }) assignmentRequestedAt: Date | null;
  @Column('jsonb', { nullable: true }) failure: { stage: 'issuance' | 'validation' | 'assignment'; code: string; message: string } | null;
  @Column('text', { name: 'pending_detail', nullable: true }) pendingDetail: string | null;
  @Index({ unique: true, where: 'idempotency_key IS NOT NULL' })
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @Column('text', { name: 'body_hash', nullable: true }) bodyHash: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('uuid', { name: 'renewal_of', nullable: true }) renewalOf: string | null;
  @Column('text', { name: 'renew_before', nullable: true }) renewBefore: string | null;
  @Column('text', { name: 'rotation_policy', default: 'Always' }) rotationPolicy: RotationPolicy;
  /** The certificate's validity, copied out of it when it is recorded (the inventory filters and pages on not_after). */
  @Column('timestamptz', { name: 'not_before', nullable: true }) notBefore: Date | null;
  @Column('timestamptz', { name: 'not_after', nullable: true }) notAfter: Date | null;
  @Column('timestamptz', { name: 'renewal_due_at', nullable: true }) renewalDueAt: Date | null;
  @Column('uuid', { name: 'superseded_by', nullable: true }) supersededBy: string | null;
  /** A revocation asked for or done (see the domain's Revocation); instants as ISO text. */
  @Column('jsonb', { nullable: true }) revocation: {
    reason: RevocationReason;
    requestedAt: string;
    actor?: string;
    state: 'after-renewal' | 'requested' | 'revoked';
    revokedAt?: string;
    atCa?: 'crl-ocsp' | 'acme' | 'manual';
  } | null;
  /** SHA-1 thumbprint (upper-case) of the CA certificate that issued the certificate: the inventory's `issuedBy` filter. */
  @Column('text', { name: 'issued_by', nullable: true }) issuedBy: string | null;
}

/** Every state a request went through, with when and why. */
@Entity('request_history')
export class RequestHistoryRow {
  @PrimaryColumn('bigint', { generated: 'increment' }) seq: string;
  @Column('uuid', { name: 'request_id' }) requestId: string;
  @Column('text') state: RequestState;
  @Column('timestamptz') at: Date;
  @Column('text', { nullable: true }) reason: string | null;
}
