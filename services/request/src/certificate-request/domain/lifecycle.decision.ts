/**
 * The lifecycle facts about a bound request (issue #18): its bindings taken over by a renewal, and
 * its renewal window opening. Pure, like the rest of the decider.
 */
import { accepted, foreign, ignored, notYet, type Decision, type ExistingRequestCommand } from './request.messages';
import { unknownState, type RequestSnapshot } from './request.states';
import { releaseHeldRevocation } from './revocation.decision';

type Command<T extends ExistingRequestCommand['type']> = Extract<ExistingRequestCommand, { type: T }>;

/** `certificate.unassigned` on the request whose certificate lost bindings: SUPERSEDED once none is left (replaced). */
export function decideUnassigned(s: RequestSnapshot, c: Command<'RecordUnassigned'>): Decision {
  switch (s.state) {
    case 'ASSIGNED':
      if (c.thumbprint !== s.thumbprint) return foreign(`release of another certificate (${c.thumbprint}, not ${s.thumbprint})`);
      // A revocation releases bindings too; what it does to the request comes with revocation (#19).
      if (c.reason !== 'replaced') return ignored(`bindings released (${c.reason}); the request stays ASSIGNED`);
      if (c.remaining.length > 0) return ignored(`still bound to ${c.remaining.join(', ')}`);
      // A revocation asked with `renew` waited for this: the old certificate is out of use now.
      return accepted({ type: 'Superseded', at: c.at, ...(c.replacedBy ? { by: c.replacedBy } : {}) }, ...releaseHeldRevocation(s, c.at));
    case 'SUPERSEDED':
      return ignored('already superseded');
    case 'REVOKED':
      return ignored('revoked');
    case 'FAILED':
      return ignored('the request failed');
    case 'SUBMITTED':
    case 'PENDING':
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
      // Released before this service recorded the assignment (separate consumers): wait for it.
      return notYet('the request is not assigned yet');
    default:
      return unknownState(s);
  }
}

/** `certificate.renewal-due`: the due date, recorded once (certificate.assigned usually brought it already). */
export function decideRenewalDue(s: RequestSnapshot, c: Command<'RecordRenewalDue'>): Decision {
  switch (s.state) {
    case 'ASSIGNED':
      if (c.thumbprint !== s.thumbprint) return foreign(`renewal of another certificate (${c.thumbprint}, not ${s.thumbprint})`);
      if (s.renewalDueAt) return ignored('the renewal date is already recorded');
      return accepted({ type: 'RenewalDueRecorded', at: c.at, dueAt: c.dueAt });
    case 'SUPERSEDED':
      return ignored('already superseded');
    case 'REVOKED':
      return ignored('revoked');
    case 'FAILED':
      return ignored('the request failed');
    case 'SUBMITTED':
    case 'PENDING':
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
      return notYet('the request is not assigned yet');
    default:
      return unknownState(s);
  }
}
