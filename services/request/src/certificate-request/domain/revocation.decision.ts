/**
 * Revocation (issue #19): asked for by an operator (POST .../revoke), done by ca-gateway
 * (certificate.revoked). Pure, like the rest of the decider.
 */
import { accepted, foreign, ignored, rejected, type Decision, type ExistingRequestCommand, type RequestEvent } from './request.messages';
import { unknownState, type Revocation, type RequestSnapshot } from './request.states';

type Command<T extends ExistingRequestCommand['type']> = Extract<ExistingRequestCommand, { type: T }>;

/**
 * A revocation is asked once: a second ask (and a revoke of a REVOKED request) changes nothing and
 * the route answers with the first. `afterRenewal` only holds it back while the request is ASSIGNED
 * (its renewal takes the bindings over, then SUPERSEDED sends it); otherwise it is sent at once.
 */
export function decideRevocation(s: RequestSnapshot, c: Command<'RequestRevocation'>): Decision {
  switch (s.state) {
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'SUPERSEDED':
      if (s.revocation) return ignored(`a revocation was already asked for (${s.revocation.state})`);
      return accepted({
        type: 'RevocationRequested',
        at: c.at,
        reason: c.reason,
        ...(c.actor ? { actor: c.actor } : {}),
        afterRenewal: c.afterRenewal && s.state === 'ASSIGNED',
      });
    case 'REVOKED':
      return ignored('already revoked');
    case 'FAILED':
      return rejected('NOT_REVOCABLE', `request ${s.id} FAILED; its certificate was never let into use`, { state: s.state });
    case 'SUBMITTED':
    case 'PENDING':
      // Found by thumbprint, so it has a certificate: unreachable through the route.
      return rejected('NOT_REVOCABLE', `request ${s.id} has no certificate yet`, { state: s.state });
    default:
      return unknownState(s);
  }
}

/** `certificate.revoked`: REVOKED, from any state that has the certificate and is not FAILED. */
export function decideRevoked(s: RequestSnapshot, c: Command<'RecordRevoked'>): Decision {
  switch (s.state) {
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'SUPERSEDED':
      if (c.thumbprint.toUpperCase() !== s.thumbprint.toUpperCase()) return foreign(`revocation of another certificate (${c.thumbprint}, not ${s.thumbprint})`);
      return accepted({ type: 'Revoked', at: c.at, reason: c.reason, revokedAt: c.revokedAt, ...(c.atCa ? { atCa: c.atCa } : {}) });
    case 'REVOKED':
      return ignored('already revoked');
    case 'FAILED':
      return ignored('the request failed');
    case 'SUBMITTED':
    case 'PENDING':
      return foreign('revocation of a certificate this request does not have');
    default:
      return unknownState(s);
  }
}

/** What SUPERSEDED adds: a revocation held for the renewal is sent now. */
export function releaseHeldRevocation(s: RequestSnapshot, at: Date): RequestEvent[] {
  return s.revocation?.state === 'after-renewal' ? [{ type: 'RevocationReleased', at }] : [];
}

/** The revocation an event leaves on the request (evolve). */
export function revocationAfter(before: Revocation | undefined, e: Extract<RequestEvent, { type: 'RevocationRequested' | 'RevocationReleased' | 'Revoked' }>): Revocation {
  switch (e.type) {
    case 'RevocationRequested':
      return { reason: e.reason, requestedAt: e.at, ...(e.actor ? { actor: e.actor } : {}), state: e.afterRenewal ? 'after-renewal' : 'requested' };
    case 'RevocationReleased':
      if (!before) throw new Error('cannot release a revocation that was not asked for');
      return { ...before, state: 'requested' };
    case 'Revoked':
      // Revoked without an ask through this service (another instance's bulk run, or by hand at the CA and told): recorded all the same.
      return {
        ...(before ?? { requestedAt: e.revokedAt }),
        reason: before?.reason ?? e.reason,
        state: 'revoked',
        revokedAt: e.revokedAt,
        ...(e.atCa ? { atCa: e.atCa } : {}),
      };
    default: {
      const exhaustive: never = e;
      return exhaustive;
    }
  }
}
