import type { MissingIssuer } from '@certflow/contracts';
import { defineTable } from '@certflow/messaging';
import type { ValidationStatus } from './validation.orm-entity';

/** A `validation` row as the fact handlers write it (see validation.orm-entity.ts for what each column means). */
export interface ValidationWrite {
  requestId: string;
  thumbprint: string;
  certificate: string;
  chain: string[];
  status: ValidationStatus;
  path: string[] | null;
  missing: MissingIssuer[] | null;
  reasons: string[];
  waitingOn: string[];
  validatedAt: Date;
}

export const VALIDATION = defineTable<ValidationWrite>(
  'validation',
  {
    requestId: { name: 'request_id', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    certificate: { name: 'certificate', type: 'text' },
    chain: { name: 'chain', type: 'jsonb' },
    status: { name: 'status', type: 'text' },
    path: { name: 'path', type: 'jsonb' },
    missing: { name: 'missing', type: 'jsonb' },
    reasons: { name: 'reasons', type: 'jsonb' },
    waitingOn: { name: 'waiting_on', type: 'text[]' },
    validatedAt: { name: 'validated_at', type: 'timestamptz' },
  },
  ['requestId'],
);

/** A `seen_certificate` row: a certificate met in a validation, kept for look-up by thumbprint. */
export interface SeenCertificateWrite {
  thumbprint: string;
  thumbprintSha256: string;
  pem: string;
  firstSeenAt: Date;
}

export const SEEN_CERTIFICATE = defineTable<SeenCertificateWrite>(
  'seen_certificate',
  {
    thumbprint: { name: 'thumbprint', type: 'text' },
    thumbprintSha256: { name: 'thumbprint_sha256', type: 'text' },
    pem: { name: 'pem', type: 'text' },
    firstSeenAt: { name: 'first_seen_at', type: 'timestamptz' },
  },
  ['thumbprint'],
);
