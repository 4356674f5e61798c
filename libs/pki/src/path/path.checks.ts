import type { CertificateFacts } from './certificate.facts';
import { profileProblem, type Problem } from './certificate-profile.check';
import { EKU_OID } from './extension.readers';
import { nameConstraintViolation } from './name-constraints.check';
import { peerNameMismatch, type PeerName } from './peer-name.match';
import type { CandidatePool, EdgeCheck } from './path.builder';
import { verifySignature } from './signature.verifier';
import { displayName } from './display-name';

/**
 * The RFC 5280 §6.1 checks, split into what the leaf must satisfy on its own and what each step up
 * the path must satisfy. Every step is checked against the whole path below it, so path-wide rules
 * (pathLength, name constraints, EKU) are enforced at the step that introduces them.
 */

export interface CheckPolicy {
  at: number;
  strict: boolean;
  peerName?: PeerName;
  /** Required extended key usages (OIDs); empty: not checked. */
  ekus: string[];
  /** KeyUsage bits the leaf must allow when it has the extension (0: not checked). */
  leafKeyUsage: number;
}

export interface Failure {
  code: string;
  reason: string;
  position: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Validity at `at`, both ends inclusive (RFC 5280 §4.1.2.5). */
export function timeProblem(cert: CertificateFacts, at: number): Problem | null {
  if (at < cert.notBefore) return { code: 'CertificateNotYetValid', reason: `is not valid before ${iso(cert.notBefore)} (checked at ${iso(at)})` };
  if (at > cert.notAfter) return { code: 'CertificateExpired', reason: `expired on ${iso(cert.notAfter)} (checked at ${iso(at)}); renew it` };
  return null;
}

function missingEku(cert: CertificateFacts, wanted: string[], allowAny: boolean): string | null {
  if (!cert.eku) return null;
  for (const oid of wanted) {
    if (!cert.eku.includes(oid) && !(allowAny && cert.eku.includes(EKU_OID.any))) return oid;
  }
  return null;
}

const EKU_WORDS: Record<string, string> = { [EKU_OID.serverAuth]: 'serverAuth (TLS server)', [EKU_OID.clientAuth]: 'clientAuth (TLS client)' };

/** The first rule the leaf breaks on its own, or `null`. */
export function leafFailure(leaf: CertificateFacts, policy: CheckPolicy): Failure | null {
  const who = displayName(leaf);
  const time = timeProblem(leaf, policy.at);
  if (time) return { code: time.code, position: 0, reason: `${who} ${time.reason}.` };
  const profile = profileProblem(leaf, 'leaf', { strict: policy.strict, anchor: false });
  if (profile) return { code: profile.code, position: 0, reason: `${who} is refused: ${profile.reason}.` };
  const eku = missingEku(leaf, policy.ekus, false);
  if (eku) return { code: 'ExtendedKeyUsageMissing', position: 0, reason: `${who} is not for ${EKU_WORDS[eku] ?? eku}: its ExtendedKeyUsage does not include it.` };
  if (policy.leafKeyUsage && leaf.keyUsage !== null && (leaf.keyUsage & policy.leafKeyUsage) !== policy.leafKeyUsage) {
    return { code: 'KeyUsageMissing', position: 0, reason: `${who} does not allow the key usage this connection needs (its KeyUsage lacks a required bit).` };
  }
  if (policy.peerName) {
    const mismatch = peerNameMismatch(leaf, policy.peerName);
    if (mismatch) return { code: 'PeerNameMismatch', position: 0, reason: `${who} is not for ${policy.peerName.value}: ${mismatch}.` };
  }
  return null;
}

/** The check of each step up the path, for {@link buildPath}. */
export function edgeCheck(pool: CandidatePool, policy: CheckPolicy): EdgeCheck {
  return (path, issuer) => {
    const i = path.length - 1;
    const child = path[i];
    const who = displayName(issuer);
    const anchor = pool.isTrusted(issuer);
    const profile = profileProblem(issuer, 'ca', { strict: policy.strict, anchor });
    if (profile) {
      const verb = profile.code === 'IssuerNotCa' || profile.code === 'IssuerKeyUsageMissing' ? `issued ${displayName(child)} but` : 'is refused:';
      return { code: profile.code, position: i + 1, reason: `${who} ${verb} ${profile.reason}.` };
    }
    if (!verifySignature(child, issuer)) {
      const aki = child.aki?.keyId;
      const mismatch = aki && issuer.ski && aki !== issuer.ski ? ` It names issuer key id ${aki}; the issuer found has key id ${issuer.ski}: import the issuer with key id ${aki}.` : '';
      const keyId = issuer.ski ? ` (key id ${issuer.ski})` : '';
      return { code: 'BadSignature', position: i, reason: `The signature on ${displayName(child)} does not verify with the key of ${who}${keyId}.${mismatch}` };
    }
    const pathLength = issuer.basicConstraints?.pathLength;
    if (pathLength !== undefined) {
      let below = 0;
      for (let j = 1; j <= i; j++) if (!path[j].selfIssued) below++;
      if (below > pathLength) return { code: 'PathTooLong', position: i + 1, reason: `${who} allows at most ${pathLength} intermediate CA(s) below it (pathLength); this path has ${below}.` };
    }
    const nc = issuer.nameConstraints;
    if (nc) {
      for (let j = 0; j <= i; j++) {
        if (j > 0 && path[j].selfIssued) continue; // RFC 5280 §6.1.3 (b): self-issued CAs are exempt
        const violation = nameConstraintViolation(path[j], nc);
        if (violation) return { code: 'NameConstraintViolation', position: i + 1, reason: `${who} constrains the names below it, and ${displayName(path[j])} breaks that: ${violation}.` };
      }
    }
    const eku = missingEku(issuer, policy.ekus, true);
    if (eku) return { code: 'ExtendedKeyUsageMissing', position: i + 1, reason: `${who} may not issue certificates for ${EKU_WORDS[eku] ?? eku}: its ExtendedKeyUsage does not include it.` };
    const time = timeProblem(issuer, policy.at);
    if (time) return { code: time.code, position: i + 1, reason: `${who} ${time.reason}.` };
    return null;
  };
}
