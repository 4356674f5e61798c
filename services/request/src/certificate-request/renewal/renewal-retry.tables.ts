import { defineTable } from '@certflow/messaging';

/**
 * A failed automatic renewal waiting for its next attempt. `attempts`: the failed renewals of
 * `renewalOf` when it was scheduled. The row is removed when the attempt is submitted (the next
 * failure schedules a new one, counting again) or when the request no longer needs it.
 */
export interface RenewalRetryColumns {
  renewalOf: string;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
}

export const RENEWAL_RETRY = defineTable<RenewalRetryColumns>(
  'renewal_retry',
  {
    renewalOf: { name: 'renewal_of', type: 'uuid' },
    attempts: { name: 'attempts', type: 'int' },
    nextAttemptAt: { name: 'next_attempt_at', type: 'timestamptz' },
    lastError: { name: 'last_error', type: 'text' },
  },
  ['renewalOf'],
);
