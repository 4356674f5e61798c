import type { CheckedCsr } from '@certflow/pki';

/** What the gateway asks a CA for: a certificate for one request's CSR. */
export interface IssueRequest {
  /** The request this certificate is for; adapters use it as their idempotency key with the CA. */
  readonly requestId: string;
  /** The issuer name the request names (an entry of CERTFLOW_ISSUERS). */
  readonly issuer: string;
  /** The FQDN of the server or pool; among the CSR's names. */
  readonly host: string;
  /** The CSR as submitted (PEM PKCS#10). */
  readonly csrPem: string;
  /** The CSR as checked by the gateway (signature verified, names read). */
  readonly csr: CheckedCsr;
}

/**
 * What a CA answered.
 * - `issued`: the CA returned the certificate (PEM) and the other certificates it sent along, as it
 *   sent them (usually its intermediates; never its private keys).
 * - `pending`: the CA has the request and will answer later (an ACME order in flight, an offline CA
 *   waiting for the certificate to be uploaded). Not final.
 * - `refused`: the CA said no. Final: the request fails with `code` (stable PascalCase) and `message`.
 *
 * A CA that cannot be reached is none of these: the adapter throws, and the request is retried.
 */
export type IssueOutcome =
  | { kind: 'issued'; certificate: string; chain: string[] }
  | { kind: 'pending'; detail: string }
  | { kind: 'refused'; code: string; message: string };

/** One kind of CA. One method, so a new CA is one new adapter (cert-manager's Issuer, step-ca's CAS). */
export interface CaAdapter {
  /** The issuer type this adapter implements (`internal`, `offline`, `acme`…). */
  readonly type: string;
  issue(req: IssueRequest): Promise<IssueOutcome>;
}

/**
 * Optional capability: an adapter that must get ready before the first request (load or create CA
 * material, reach the CA's directory). Started once at module init; a throw stops the start.
 */
export interface StartableCaAdapter extends CaAdapter {
  start(): Promise<void>;
}

export function isStartable(adapter: CaAdapter): adapter is StartableCaAdapter {
  return typeof (adapter as Partial<StartableCaAdapter>).start === 'function';
}

/** A request an adapter left pending and drives on its own (an ACME order), as the gateway stored it. */
export interface PendingIssuance {
  readonly requestId: string;
  readonly issuer: string;
  readonly csrPem: string;
  /** The CA's handle on it (the ACME order URL); null until created. Stored before it is finalized. */
  readonly orderUrl: string | null;
  /** Transient failures in a row since the last progress. */
  readonly attempts: number;
}

/**
 * One step of driving a pending request, as far as it can go now.
 * - `issued` / `refused`: final, as in IssueOutcome.
 * - `progress`: the CA moved or is working (`detail`: e.g. "ACME order processing <url>"); look again
 *   after `afterMs`. `orderUrl` is what to store (null: the old order is gone, create a new one).
 * - `retry`: a transient failure (`reason`); look again with backoff, no sooner than `afterMs`.
 */
export type DriveOutcome =
  | { kind: 'issued'; certificate: string; chain: string[] }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'progress'; detail: string; orderUrl: string | null; afterMs: number }
  | { kind: 'retry'; reason: string; afterMs?: number };

/**
 * Optional capability: an adapter whose `pending` answers the gateway follows up itself (step-ca's
 * optional CAS interfaces). The order poller calls `drive` for each pending request of the adapter's
 * issuers, one call at a time per request, across all gateway instances.
 */
export interface DrivableCaAdapter extends CaAdapter {
  drive(pending: PendingIssuance): Promise<DriveOutcome>;
}

export function isDrivable(adapter: CaAdapter | undefined): adapter is DrivableCaAdapter {
  return typeof (adapter as Partial<DrivableCaAdapter> | undefined)?.drive === 'function';
}

/**
 * What a CA answered to a revocation.
 * - `revoked`: the CA revoked it (or had already: a repeat is the same outcome).
 * - `refused`: the CA said no (`message` is the CA's). Not retried.
 * A CA that cannot be reached is neither: the adapter throws, and the revocation is retried.
 */
export type RevokeOutcome = { kind: 'revoked' } | { kind: 'refused'; message: string };

/** Optional capability: an adapter whose CA revokes on request (ACME revokeCert). */
export interface RevocableCaAdapter extends CaAdapter {
  /** Revokes `certificatePem` at the CA with RFC 5280 reason code `reasonCode`. */
  revoke(certificatePem: string, reasonCode: number): Promise<RevokeOutcome>;
}

export function isRevocable(adapter: CaAdapter | undefined): adapter is RevocableCaAdapter {
  return typeof (adapter as Partial<RevocableCaAdapter> | undefined)?.revoke === 'function';
}
