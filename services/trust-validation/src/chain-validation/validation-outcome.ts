import {
  ChainCompleteV1,
  ChainIncompleteV1,
  createEvent,
  RequestFailedV1,
  type CloudEvent,
  type MissingIssuer,
} from '@certflow/contracts';
import { thumbprintSha1, toPem, type ChainValidation } from '@certflow/pki';
import { waitingOnKeys, type IssuerKey } from './waiting-on.keys';

export const EVENT_SOURCE = 'certflow/trust-validation';

/**
 * What a validation concluded, in the terms the `validation` row and the outgoing event need.
 * - `complete`: chains to a trusted root and is valid now. Final unless the stores change.
 * - `incomplete`: a root or intermediate is missing; waits for an import (`waitingOn`).
 * - `invalid`: final. `code` is a stable PascalCase reason: one of libs/pki's `ChainFailureCode`
 *   (`CertificateExpired`, `BadSignature`, `PathTooLong`…), or one this service sets itself:
 *   `CertificateUnparsable` (the issued certificate cannot be read), `ThumbprintMismatch` (it is not
 *   the one the issuance reported), `ChainUnbuildable` (no path, and no import could close the gap),
 *   `ChainTooLong` (the CA's chain has more than CERTFLOW_MAX_CHAIN_CERTIFICATES; not parsed).
 */
export type ValidationOutcome =
  | { status: 'complete'; path: string[]; pathPem: string[]; reasons: string[] }
  | { status: 'incomplete'; missing: MissingIssuer[]; reasons: string[]; waitingOn: IssuerKey[] }
  | { status: 'invalid'; code: string; message: string; reasons: string[] };

/** Maps a chain validation result to an outcome. Pure. */
export function toOutcome(result: ChainValidation): ValidationOutcome {
  switch (result.status) {
    case 'complete':
      return { status: 'complete', path: result.path.map((c) => thumbprintSha1(c)), pathPem: result.path.map((c) => toPem(c)), reasons: [] };
    case 'incomplete':
      // The contract needs at least one gap to name; a chain that stops without one cannot be completed by an import.
      if (result.missing.length === 0) return invalid('ChainUnbuildable', result.reasons);
      return { status: 'incomplete', missing: result.missing, reasons: result.reasons, waitingOn: waitingOnKeys(result.missing) };
    case 'invalid':
      return invalid(result.code, result.reasons);
    default: {
      const never: never = result;
      throw new Error(`unknown chain validation status ${JSON.stringify(never)}`);
    }
  }
}

/** An invalid outcome; the message is the reasons in operator words, or the code when there are none. */
export function invalid(code: string, reasons: string[]): ValidationOutcome {
  return { status: 'invalid', code, message: reasons.length ? reasons.join(' ') : code, reasons };
}

/** True when two incomplete outcomes name the same gaps (nothing new to tell). */
export function sameGaps(a: readonly string[] | null | undefined, b: readonly string[]): boolean {
  if (!a || a.length !== b.length) return false;
  return a.every((k, i) => k === b[i]);
}

/** The certificate a validation was about, as the CA returned it (certificate.issued's data). */
export interface ValidatedCertificate {
  requestId: string;
  thumbprint: string;
  certificate: string;
  chain: string[];
}

/**
 * The event that tells the rest of the system what the validation concluded. chain.complete and
 * chain.incomplete carry the certificate and chain, so a consumer can apply them even when they
 * overtook the certificate.issued they follow.
 */
export function outcomeEvent(issued: ValidatedCertificate, outcome: ValidationOutcome, options: { revalidated?: boolean; at?: Date } = {}): CloudEvent {
  const { requestId, thumbprint, certificate, chain } = issued;
  const meta = { source: EVENT_SOURCE, subject: requestId, time: options.at };
  switch (outcome.status) {
    case 'complete':
      return createEvent(
        ChainCompleteV1,
        { requestId, thumbprint, path: outcome.path, pathPem: outcome.pathPem, certificate, chain, ...(options.revalidated ? { revalidated: true } : {}) },
        meta,
      );
    case 'incomplete':
      return createEvent(ChainIncompleteV1, { requestId, thumbprint, missing: outcome.missing, reasons: outcome.reasons, certificate, chain }, meta);
    case 'invalid':
      return createEvent(RequestFailedV1, { requestId, stage: 'validation', code: outcome.code, message: outcome.message }, meta);
  }
}

/** The validation status an outcome event tells, for metrics kept after the commit. */
export function statusOfOutcomeEvent(event: CloudEvent): ValidationOutcome['status'] | null {
  switch (event.type) {
    case ChainCompleteV1.subject:
      return 'complete';
    case ChainIncompleteV1.subject:
      return 'incomplete';
    case RequestFailedV1.subject:
      return 'invalid';
    default:
      return null;
  }
}
