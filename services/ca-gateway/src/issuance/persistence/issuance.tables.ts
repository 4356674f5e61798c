import { defineTable } from '@certflow/messaging';
import type { IssuanceOutcome, IssuanceState } from './issuance.record';

/** An `issuance` row as the consumers write it (see issuance.orm-entity.ts for what each column means). */
export interface IssuanceWrite {
  requestId: string;
  issuer: string;
  state: IssuanceState;
  thumbprint: string | null;
  outcome: IssuanceOutcome;
  csrPem: string | null;
  nextAttemptAt: Date | null;
  pendingSince: Date | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
}

export const ISSUANCE = defineTable<IssuanceWrite>(
  'issuance',
  {
    requestId: { name: 'request_id', type: 'text' },
    issuer: { name: 'issuer', type: 'text' },
    state: { name: 'state', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    outcome: { name: 'outcome', type: 'jsonb' },
    csrPem: { name: 'csr_pem', type: 'text' },
    nextAttemptAt: { name: 'next_attempt_at', type: 'timestamptz' },
    pendingSince: { name: 'pending_since', type: 'timestamptz' },
    attempts: { name: 'attempts', type: 'int' },
    createdAt: { name: 'created_at', type: 'timestamptz' },
    updatedAt: { name: 'updated_at', type: 'timestamptz' },
  },
  ['requestId'],
);
