import type { MissingIssuer } from '@certflow/contracts';
import type { X509Certificate } from '@peculiar/x509';
import { authorityKeyIdentifier, issuerOf, subjectKeyIdentifier, subjectOf } from './certificate.details';
import { DerError } from './path/der.reader';
import { certificateFacts } from './path/certificate.facts';
import type { CertificateFacts } from './path/certificate.facts';
import type { PartialPath } from './path/path.builder';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_STEPS, verifyPath } from './path/path.verify';
import { profileProblem, type Problem } from './path/certificate-profile.check';

/**
 * Chain validation applies RFC 5280's MUSTs, not the strict profile's key-identifier rules: private
 * PKIs that certflow serves often skip those.
 */
const STRICT_PROFILE = false;

/**
 * The outcome of validating a certificate's chain at an instant.
 * - `complete`: a valid path from the leaf to a trusted root exists; `path` is leaf → root.
 * - `incomplete`: no path reaches a trusted root; `missing` says what to import (see {@link validateChain}).
 * - `invalid`: a path reaches a trusted root but breaks a rule, or the leaf itself is unacceptable;
 *   `code` is a stable PascalCase reason (see {@link ChainFailureCode}).
 */
export type ChainValidation =
  | { status: 'complete'; path: X509Certificate[] }
  | { status: 'incomplete'; partialPath: X509Certificate[]; missing: MissingIssuer[]; reasons: string[] }
  | { status: 'invalid'; code: string; reasons: string[]; path?: X509Certificate[] };

/**
 * Reason codes of an `invalid` result, set by the path engine (`path/path.checks.ts`):
 * `CertificateExpired`, `CertificateNotYetValid` (any certificate of the path, leaf included, at `at`),
 * `BadSignature` (a signature does not verify with its issuer's key), `IssuerNotCa` (an issuer lacks
 * BasicConstraints cA=true), `IssuerKeyUsageMissing` (an issuer's KeyUsage lacks keyCertSign),
 * `PathTooLong` (a pathLength is exceeded, or only paths longer than `maxDepth` reach a root),
 * `NameConstraintViolation` (a name outside a CA's name constraints), `UnknownCriticalExtension`,
 * `WeakKey` (RSA < 2048 bits, DSA, curves other than P-256/384/521), `WeakSignatureAlgorithm`
 * (SHA-1, MD5 or an unknown algorithm), `LeafIsCa` (a CA certificate as the leaf),
 * `ExtendedKeyUsageMissing` / `KeyUsageMissing` / `PeerNameMismatch` (only when asked for),
 * `CommonNameNotInSan`, `MissingKeyIdentifier` (strict profile only) and `MalformedCertificate`
 * (an encoding RFC 5280 forbids). All are final for the certificate as issued.
 */
export type ChainFailureCode =
  | 'CertificateExpired'
  | 'CertificateNotYetValid'
  | 'BadSignature'
  | 'IssuerNotCa'
  | 'IssuerKeyUsageMissing'
  | 'PathTooLong'
  | 'NameConstraintViolation'
  | 'UnknownCriticalExtension'
  | 'WeakKey'
  | 'WeakSignatureAlgorithm'
  | 'LeafIsCa'
  | 'ExtendedKeyUsageMissing'
  | 'KeyUsageMissing'
  | 'PeerNameMismatch'
  | 'CommonNameNotInSan'
  | 'MissingKeyIdentifier'
  | 'MalformedCertificate';

const ders = new WeakMap<X509Certificate, Uint8Array>();

/** The DER of a certificate as one stable buffer per object, so the engine's decode cache hits by identity. */
function derOf(cert: X509Certificate): Uint8Array {
  let der = ders.get(cert);
  if (!der) {
    der = new Uint8Array(cert.rawData);
    ders.set(cert, der);
  }
  return der;
}

function name(cert: X509Certificate): string {
  return `'${subjectOf(cert)}'`;
}

function keyId(id: string | null | undefined): string {
  return id ? ` (key id ${id})` : '';
}

/**
 * What is missing at the top of the longest partial path. The rule:
 * 1. The top is self-issued (subject = issuer) but not trusted → kind `root`: its own subject, and its
 *    AKI (or, if it has none, its SKI) as the key id.
 * 2. Otherwise the top's issuer is absent → named by the top's issuer DN and AKI, its kind guessed
 *    from the top: the leaf itself → `intermediate` (the usual gap is a chain the CA or server did not
 *    send); a CA certificate → `root` (what a store lacks is the anchor; the reason says to import it
 *    as an intermediate if it is not self-signed).
 * A dead end that is a loop (the top's issuers exist but are all on the path) is reported the same
 * way (kind `root`, the top's issuer), with a reason that says so.
 */
function describeGap(partial: PartialPath, certs: X509Certificate[]): { missing: MissingIssuer; reason: string } {
  const top = certs[certs.length - 1];
  const topFacts = partial.path[partial.path.length - 1];
  if (topFacts.selfIssued) {
    const id = authorityKeyIdentifier(top) ?? subjectKeyIdentifier(top) ?? undefined;
    return {
      missing: { kind: 'root', subject: subjectOf(top), ...(id ? { authorityKeyIdentifier: id } : {}) },
      reason: `The root ${name(top)}${keyId(id)} is not in the trusted root store; import it into the trusted roots.`,
    };
  }
  const subject = issuerOf(top);
  const id = authorityKeyIdentifier(top) ?? undefined;
  const missing: MissingIssuer = { kind: certs.length === 1 ? 'intermediate' : 'root', subject, ...(id ? { authorityKeyIdentifier: id } : {}) };
  const reason = !partial.gap
    ? `No path from the certificate reaches a trusted root: the CA certificates offered only lead back to each other (cross-signed) or go deeper than allowed, up to ${name(top)} issued by '${subject}'${keyId(id)}; import the root CA that anchors them into the trusted roots.`
    : missing.kind === 'intermediate'
      ? `The issuer of ${name(top)}, '${subject}'${keyId(id)}, was not found; import that intermediate CA certificate (or the root, if it issued ${name(top)} directly).`
      : `The issuer of ${name(top)}, '${subject}'${keyId(id)}, was not found; import that root CA certificate into the trusted roots (if it is not self-signed, import it as an intermediate and then its root).`;
  return { missing, reason };
}

/**
 * Builds and validates the chain of `leaf` at `at`, using `provided` (the chain that came with the
 * certificate), `intermediates` (the intermediate store) and `roots` (the trusted roots: a path ends
 * at a certificate whose DER is among them; a leaf issued directly by a root works).
 *
 * Delegates to the path engine ({@link verifyPath}) with the relaxed profile (RFC 5280's
 * key-identifier MUSTs not enforced; no peer name; EKU only when `ekus` is given — the assignment
 * service checks usage fitness itself). Every path is tried, best candidates first, with
 * backtracking and bounds, until one passes. No passing path: `invalid` with the failure of the best
 * path (the one failing highest up) that leads to a trusted root, or of the leaf itself; else
 * `incomplete` describing the gap atop the longest partial path (see `describeGap`).
 */
export async function validateChain(opts: {
  leaf: X509Certificate;
  provided?: X509Certificate[];
  intermediates?: X509Certificate[];
  roots: X509Certificate[];
  at: Date;
  maxDepth?: number;
  ekus?: string[];
}): Promise<ChainValidation> {
  const all = [opts.leaf, ...(opts.provided ?? []), ...(opts.intermediates ?? []), ...opts.roots];
  const byKey = new Map<string, X509Certificate>();
  const back = (facts: CertificateFacts[]): X509Certificate[] => facts.map((f) => byKey.get(f.key) as X509Certificate);
  let verdict: ReturnType<typeof verifyPath>;
  try {
    verdict = verifyPath({
      leaf: derOf(opts.leaf),
      intermediates: [...(opts.provided ?? []), ...(opts.intermediates ?? [])].map(derOf),
      roots: opts.roots.map(derOf),
      at: opts.at,
      maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
      strict: STRICT_PROFILE,
      ...(opts.ekus ? { ekus: opts.ekus } : {}),
    });
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    return { status: 'invalid', code: 'MalformedCertificate', reasons: [`${name(opts.leaf)} is not a valid DER certificate (${error.message}).`] };
  }
  // Map the engine's facts back to the caller's objects (first object wins for duplicate DERs).
  for (const cert of all) {
    try {
      const key = certificateFacts(derOf(cert)).key;
      if (!byKey.has(key)) byKey.set(key, cert);
    } catch {
      // unreadable: the engine skipped it too
    }
  }

  if (verdict.valid) return { status: 'complete', path: back(verdict.path) };
  const { failure, report } = verdict;
  if (failure) {
    return { status: 'invalid', code: failure.code, reasons: [failure.reason], ...(failure.path.length > 1 ? { path: back(failure.path) } : {}) };
  }
  if (report.depthExceeded && verdict.pool.reachesTrust(verdict.leaf, opts.at.getTime())) {
    return { status: 'invalid', code: 'PathTooLong', reasons: [`No path from ${name(opts.leaf)} reaches a trusted root within ${opts.maxDepth ?? DEFAULT_MAX_DEPTH} certificates.`] };
  }
  const partialCerts = back(verdict.partial.path);
  const gap = describeGap(verdict.partial, partialCerts);
  const reasons = [gap.reason];
  if (report.exhausted) reasons.push(`The search for a path stopped after ${Math.min(report.steps, DEFAULT_MAX_STEPS)} steps; the certificates offered form too many candidate paths.`);
  return { status: 'incomplete', partialPath: partialCerts, missing: [gap.missing], reasons };
}

/**
 * The first rule CA certificate `cert` breaks that keeps it off every path `validateChain` accepts,
 * as a trust anchor (`anchor`) or as an intermediate (a weak key, a critical extension no validator
 * here understands, KeyUsage without keyCertSign, …); `null` when it breaks none.
 */
export function caCertificateProblem(cert: X509Certificate, opts: { anchor: boolean }): Problem | null {
  return profileProblem(certificateFacts(derOf(cert)), 'ca', { strict: STRICT_PROFILE, anchor: opts.anchor });
}

/**
 * The fast path of {@link validateChain}, for certificates at hand as DER: the path (leaf → root, DER)
 * when one passes, `null` when none does or the input is unreadable — then call `validateChain`,
 * which says why. Same engine and options, without building X509Certificate objects for the leaf
 * and the chain that came with it: most certificates validate, and for them that was most of the work.
 */
export function completePath(opts: { leaf: Uint8Array; provided?: Uint8Array[]; intermediates?: X509Certificate[]; roots: X509Certificate[]; at: Date }): Uint8Array[] | null {
  try {
    const verdict = verifyPath({
      leaf: opts.leaf,
      intermediates: [...(opts.provided ?? []), ...(opts.intermediates ?? []).map(derOf)],
      roots: opts.roots.map(derOf),
      at: opts.at,
      maxDepth: DEFAULT_MAX_DEPTH,
      strict: STRICT_PROFILE,
    });
    return verdict.valid ? verdict.path.map((f) => f.der) : null;
  } catch {
    return null;
  }
}
