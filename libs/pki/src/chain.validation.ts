import type { MissingIssuer } from '@certflow/contracts';
import type { X509Certificate } from '@peculiar/x509';
import { basicConstraints, issuerOf, keyUsageNames, subjectOf } from './certificate.details';
import { CertificatePool, searchPaths, trustedReachable, type PartialPath, type PoolEntry, type SearchState } from './chain-path.builder';
import { isSignedBy } from './chain-signature.cache';

/**
 * The outcome of validating a certificate's chain at an instant.
 * - `complete`: a valid path from the leaf to a trusted root exists; `path` is leaf → root.
 * - `incomplete`: no path reaches a trusted root; `missing` says what to import (see {@link validateChain}).
 * - `invalid`: a path reaches a trusted root but breaks a rule, or the leaf itself is out of its
 *   validity period; `code` is a stable PascalCase reason (see {@link ChainFailureCode}).
 */
export type ChainValidation =
  | { status: 'complete'; path: X509Certificate[] }
  | { status: 'incomplete'; partialPath: X509Certificate[]; missing: MissingIssuer[]; reasons: string[] }
  | { status: 'invalid'; code: string; reasons: string[]; path?: X509Certificate[] };

/**
 * Reason codes of an `invalid` result:
 * `CertificateExpired`, `CertificateNotYetValid` (any certificate of the path, leaf included, at `at`),
 * `BadSignature` (a certificate's signature does not verify with its issuer's key),
 * `IssuerNotCa` (an issuer lacks BasicConstraints cA=true), `IssuerKeyUsageMissing` (an issuer's
 * KeyUsage lacks keyCertSign), `PathTooLong` (a BasicConstraints pathLength is exceeded, or only paths
 * longer than `maxDepth` reach a root).
 */
export type ChainFailureCode = 'CertificateExpired' | 'CertificateNotYetValid' | 'BadSignature' | 'IssuerNotCa' | 'IssuerKeyUsageMissing' | 'PathTooLong';

interface Failure {
  code: ChainFailureCode;
  reason: string;
  /** Index in the path of the certificate at fault; a failure higher up means a better path. */
  position: number;
}

const DEFAULT_MAX_DEPTH = 8;
const MAX_WORK = 5_000;
const MAX_PATHS_CHECKED = 32;

function name(cert: X509Certificate): string {
  return `'${subjectOf(cert)}'`;
}

function keyId(id: string | null | undefined): string {
  return id ? ` (key id ${id})` : '';
}

function checkTime(cert: X509Certificate, at: Date, position: number): Failure | null {
  if (at.getTime() < cert.notBefore.getTime()) {
    return { code: 'CertificateNotYetValid', position, reason: `${name(cert)} is not valid before ${cert.notBefore.toISOString()} (checked at ${at.toISOString()}).` };
  }
  if (at.getTime() > cert.notAfter.getTime()) {
    return { code: 'CertificateExpired', position, reason: `${name(cert)} expired on ${cert.notAfter.toISOString()} (checked at ${at.toISOString()}); renew it.` };
  }
  return null;
}

/** Checks a leaf → trusted path; returns the first rule it breaks, bottom up, or `null`. */
async function checkPath(path: PoolEntry[], at: Date): Promise<Failure | null> {
  for (let i = 0; i < path.length; i++) {
    const child = path[i];
    const timeFailure = checkTime(child.cert, at, i);
    if (timeFailure) return timeFailure;
    if (i + 1 === path.length) break;

    const issuer = path[i + 1];
    const bc = basicConstraints(issuer.cert);
    if (!bc?.ca) {
      return { code: 'IssuerNotCa', position: i + 1, reason: `${name(issuer.cert)} issued ${name(child.cert)} but is not a CA certificate (BasicConstraints cA is not set).` };
    }
    const ku = keyUsageNames(issuer.cert);
    if (ku && !ku.includes('keyCertSign')) {
      return { code: 'IssuerKeyUsageMissing', position: i + 1, reason: `${name(issuer.cert)} issued ${name(child.cert)} but its KeyUsage does not allow signing certificates (keyCertSign).` };
    }
    if (!(await isSignedBy(child.cert, issuer.cert))) {
      const mismatch = child.aki && issuer.ski && child.aki !== issuer.ski ? ` It names issuer key id ${child.aki}; the issuer found has key id ${issuer.ski}: import the issuer with key id ${child.aki}.` : '';
      return { code: 'BadSignature', position: i, reason: `The signature on ${name(child.cert)} does not verify with the key of ${name(issuer.cert)}${keyId(issuer.ski)}.${mismatch}` };
    }
    if (bc.pathLength !== undefined) {
      const below = path.slice(1, i + 1).filter((e) => !e.selfIssued).length;
      if (below > bc.pathLength) {
        return { code: 'PathTooLong', position: i + 1, reason: `${name(issuer.cert)} allows at most ${bc.pathLength} intermediate CA(s) below it (pathLength); this path has ${below}.` };
      }
    }
  }
  return null;
}

/**
 * What is missing at the top of the longest partial path. The rule:
 * 1. The top is self-issued (subject = issuer) but not trusted → kind `root`: its own subject, and its
 *    AKI (or, if it has none, its SKI) as the key id.
 * 2. Otherwise the top's issuer is absent → the missing certificate is named by the top's issuer DN
 *    and AKI, and its kind guessed from the top: when the top is the leaf itself, an `intermediate`
 *    (CAs issue from intermediates; the usual gap is a chain the CA or server did not send); when the
 *    top is already a CA certificate, a `root` (intermediates travel with the chain; what a store lacks
 *    is the anchor). A 3-tier PKI with a middle CA missing is reported as `root`; the reason says to
 *    import it as an intermediate if it is not self-signed.
 * A dead end that is a loop (the top's issuers exist but are all already on the path) is reported the
 * same way (kind `root`, the top's issuer), with a reason that says so.
 */
function describeGap(partial: PartialPath): { missing: MissingIssuer; reason: string } {
  const top = partial.path[partial.path.length - 1];
  if (top.selfIssued) {
    const id = top.aki ?? top.ski ?? undefined;
    return {
      missing: { kind: 'root', subject: subjectOf(top.cert), ...(id ? { authorityKeyIdentifier: id } : {}) },
      reason: `The root ${name(top.cert)}${keyId(id)} is not in the trusted root store; import it into the trusted roots.`,
    };
  }
  const subject = issuerOf(top.cert);
  const id = top.aki ?? undefined;
  const missing: MissingIssuer = { kind: partial.path.length === 1 ? 'intermediate' : 'root', subject, ...(id ? { authorityKeyIdentifier: id } : {}) };
  const reason = !partial.gap
    ? `No path from the certificate reaches a trusted root: the CA certificates offered only lead back to each other (cross-signed) or go deeper than allowed, up to ${name(top.cert)} issued by '${subject}'${keyId(id)}; import the root CA that anchors them into the trusted roots.`
    : missing.kind === 'intermediate'
      ? `The issuer of ${name(top.cert)}, '${subject}'${keyId(id)}, was not found; import that intermediate CA certificate (or the root, if it issued ${name(top.cert)} directly).`
      : `The issuer of ${name(top.cert)}, '${subject}'${keyId(id)}, was not found; import that root CA certificate into the trusted roots (if it is not self-signed, import it as an intermediate and then its root).`;
  return { missing, reason };
}

/**
 * Builds and validates the chain of `leaf` at `at`, using `provided` (the chain that came with the
 * certificate), `intermediates` (the intermediate store) and `roots` (the trusted roots: a path ends
 * at a certificate whose DER is among them; a leaf issued directly by a root works).
 *
 * Every path from the leaf to a trusted root is tried (best candidates first, backtracking, bounded)
 * until one passes: every certificate valid at `at`, every signature verifies with the issuer's key,
 * every issuer a CA (cA=true; keyCertSign if KeyUsage is present), pathLength respected.
 * No passing path: `invalid` with the failure of the best path (the one failing highest up), or, when
 * no path reaches a trusted root, `incomplete` describing the gap atop the longest partial path
 * (see the kind rule on `describeGap`). A leaf outside its validity period is `invalid` regardless.
 */
export async function validateChain(opts: {
  leaf: X509Certificate;
  provided?: X509Certificate[];
  intermediates?: X509Certificate[];
  roots: X509Certificate[];
  at: Date;
  maxDepth?: number;
}): Promise<ChainValidation> {
  const { leaf, at } = opts;
  const leafTime = checkTime(leaf, at, 0);
  if (leafTime) return { status: 'invalid', code: leafTime.code, reasons: [leafTime.reason] };

  const pool = new CertificatePool([...(opts.provided ?? []), ...(opts.intermediates ?? [])], opts.roots);
  const state: SearchState = { work: 0, exhausted: false, depthExceeded: false };
  let best: { failure: Failure; path: PoolEntry[] } | undefined;
  let checked = 0;
  for (const path of searchPaths(pool, leaf, { at, maxDepth: Math.max(1, opts.maxDepth ?? DEFAULT_MAX_DEPTH), maxWork: MAX_WORK }, state)) {
    const failure = await checkPath(path, at);
    if (!failure) return { status: 'complete', path: path.map((e) => e.cert) };
    if (!best || failure.position > best.failure.position) best = { failure, path };
    if (++checked >= MAX_PATHS_CHECKED) break;
  }

  if (best) {
    return { status: 'invalid', code: best.failure.code, reasons: [best.failure.reason], path: best.path.map((e) => e.cert) };
  }
  if (state.depthExceeded && trustedReachable(pool, leaf, at)) {
    return { status: 'invalid', code: 'PathTooLong', reasons: [`No path from ${name(leaf)} reaches a trusted root within ${opts.maxDepth ?? DEFAULT_MAX_DEPTH} certificates.`] };
  }
  const partial = state.longestPartial ?? { path: [pool.entry(leaf)], gap: true };
  const gap = describeGap(partial);
  const reasons = [gap.reason];
  if (state.exhausted) reasons.push(`The search for a path stopped after ${MAX_WORK} steps; the certificates offered form too many candidate paths.`);
  return { status: 'incomplete', partialPath: partial.path.map((e) => e.cert), missing: [gap.missing], reasons };
}
