import { certificateFacts, type CertificateFacts } from './certificate.facts';
import { EKU_OID, keyUsageMask } from './extension.readers';
import { CandidatePool, buildPath, type PartialPath, type SearchReport } from './path.builder';
import { edgeCheck, leafFailure, type CheckPolicy, type Failure } from './path.checks';
import type { PeerName } from './peer-name.match';

/**
 * One entry point for path building and validation: the limbo harness calls it directly and
 * `validateChain` (trust-validation) wraps it. Certificates are given as DER (or facts already
 * decoded); decoding is cached by DER, signature checks by (certificate, issuer key).
 */

/** A certificate as the engine takes it: DER bytes, or facts from {@link certificateFacts}. */
export type CertificateInput = Uint8Array | CertificateFacts;

export interface VerifyPathOptions {
  leaf: CertificateInput;
  /** Untrusted certificates that may complete the path: what the peer or the CA sent, and the intermediate store. */
  intermediates?: CertificateInput[];
  /** Trust anchors: a path ends at one of these (compared by DER). */
  roots: CertificateInput[];
  at: Date;
  /** SERVER requires serverAuth, CLIENT clientAuth (where an EKU extension is present); omitted: no EKU check unless `ekus`. */
  validationKind?: 'SERVER' | 'CLIENT';
  /** Name the leaf must be for (subjectAltName only). */
  peerName?: PeerName;
  /** Extended key usages required instead of the one `validationKind` implies (OIDs or 'serverAuth' / 'clientAuth'). */
  ekus?: string[];
  /** Key usages the leaf must allow when it has a KeyUsage extension ('digitalSignature', 'keyEncipherment', …). */
  leafKeyUsage?: string[];
  /** Certificates per path, leaf and anchor included (default 8). */
  maxDepth?: number;
  /** RFC 5280 key-identifier and encoding MUSTs (default true); `validateChain` relaxes them for older private PKIs. */
  strict?: boolean;
  /** Search bounds (defaults: 5,000 steps, 500 ms). */
  maxSteps?: number;
  maxMillis?: number;
}

/**
 * - `valid`: `path` (leaf → anchor) passed every check.
 * - `invalid`: no path passed; `failure` is the rule broken by the most nearly valid path (the one
 *   whose fault is highest up) that still leads to a trust anchor, or a fault of the leaf itself;
 *   `failure` is absent when no path leads to an anchor at all (then read `partial`).
 */
export type PathVerdict =
  | { valid: true; path: CertificateFacts[]; report: SearchReport }
  | { valid: false; failure?: Failure & { path: CertificateFacts[] }; partial: PartialPath; report: SearchReport; leaf: CertificateFacts; pool: CandidatePool };

export const DEFAULT_MAX_DEPTH = 8;
export const DEFAULT_MAX_STEPS = 5_000;
export const DEFAULT_MAX_MILLIS = 500;

const EKU_BY_NAME: Record<string, string> = { serverAuth: EKU_OID.serverAuth, clientAuth: EKU_OID.clientAuth, anyExtendedKeyUsage: EKU_OID.any };

// Duck-typed: `instanceof Uint8Array` fails across realms (jest, worker threads).
function isFacts(input: CertificateInput): input is CertificateFacts {
  return typeof (input as CertificateFacts).spkiKey === 'string';
}

function facts(input: CertificateInput): CertificateFacts {
  return isFacts(input) ? input : certificateFacts(input);
}

/** Decodes what decodes; an unreadable untrusted certificate is skipped (it cannot be on a valid path). */
function factsList(inputs: CertificateInput[] | undefined): CertificateFacts[] {
  const out: CertificateFacts[] = [];
  for (const input of inputs ?? []) {
    try {
      out.push(facts(input));
    } catch {
      // unreadable: cannot be part of any path
    }
  }
  return out;
}

function requiredEkus(opts: VerifyPathOptions): string[] {
  if (opts.ekus) return opts.ekus.map((e) => EKU_BY_NAME[e] ?? e);
  if (opts.validationKind === 'SERVER') return [EKU_OID.serverAuth];
  if (opts.validationKind === 'CLIENT') return [EKU_OID.clientAuth];
  return [];
}

/**
 * Builds and validates a path for `leaf` at `at` (RFC 5280 §6 with the CA/Browser Forum rules in
 * the module docs). Throws only when the leaf itself is not a readable certificate (`DerError`).
 */
export function verifyPath(opts: VerifyPathOptions): PathVerdict {
  const leaf = facts(opts.leaf);
  // RFC 5280 times have whole seconds: compare at that granularity (limbo's notafter-fractional).
  const at = Math.floor(opts.at.getTime() / 1000) * 1000;
  const policy: CheckPolicy = { at, strict: opts.strict ?? true, peerName: opts.peerName, ekus: requiredEkus(opts), leafKeyUsage: keyUsageMask(opts.leafKeyUsage ?? []) };
  const pool = new CandidatePool(factsList(opts.intermediates), factsList(opts.roots));
  const report: SearchReport = { steps: 0, exhausted: false, depthExceeded: false, failures: [] };
  const partial: PartialPath = { path: [leaf], gap: true };

  const own = leafFailure(leaf, policy);
  if (own) return { valid: false, failure: { ...own, path: [leaf] }, partial, report, leaf, pool };

  const limits = {
    at,
    maxDepth: Math.max(1, opts.maxDepth ?? DEFAULT_MAX_DEPTH),
    maxSteps: opts.maxSteps ?? DEFAULT_MAX_STEPS,
    deadline: Date.now() + (opts.maxMillis ?? DEFAULT_MAX_MILLIS),
  };
  const path = buildPath(pool, leaf, limits, edgeCheck(pool, policy), report);
  if (path) return { valid: true, path, report };

  // The most nearly valid path: the failure highest up among those that still lead to an anchor.
  const ranked = [...report.failures].sort((a, b) => b.position - a.position);
  const failure = ranked.find((f) => pool.reachesTrust(f.path[f.path.length - 1], at));
  return { valid: false, ...(failure ? { failure } : {}), partial: report.longestPartial ?? partial, report, leaf, pool };
}
