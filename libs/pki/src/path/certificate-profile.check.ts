import type { CertificateFacts } from './certificate.facts';
import { EXT, KU } from './extension.readers';
import { keyWeakness } from './key.policy';
import { constraintsDefect } from './name-constraints.check';
import { signatureScheme } from './signature.verifier';
import { domainToASCII } from 'node:url';
import { formatIp, parseIp, parseLegacyIpv4, sameBytes } from './host-name.syntax';
import { OID_CN, attributeTexts } from './name.facts';

/**
 * Rules on one certificate alone, by the role it plays on the path (leaf, intermediate, anchor).
 * They come from RFC 5280's MUSTs and the CA/Browser Forum Baseline Requirements; `strict` adds the
 * key-identifier MUSTs (RFC 5280 §4.2.1.1–2) that older private PKIs often skip.
 */

/** Extensions that may be critical because this validator processes them (or knowingly accepts them). */
const UNDERSTOOD = new Set<string>([
  EXT.BASIC_CONSTRAINTS,
  EXT.KEY_USAGE,
  EXT.EKU,
  EXT.SAN,
  EXT.NAME_CONSTRAINTS,
  EXT.POLICIES,
  EXT.POLICY_MAPPINGS,
  EXT.POLICY_CONSTRAINTS,
  EXT.INHIBIT_ANY_POLICY,
]);
/** Extensions RFC 5280 says MUST be non-critical. */
const NEVER_CRITICAL = new Set<string>([EXT.AKI, EXT.SKI, EXT.AIA]);

export type Role = 'leaf' | 'ca';

/** A rule broken, with a stable code and the words for an operator. */
export interface Problem {
  code: string;
  reason: string;
}

function problem(code: string, reason: string): Problem {
  return { code, reason };
}

/** The first rule `cert` breaks in `role`, or `null`. */
export function profileProblem(cert: CertificateFacts, role: Role, opts: { strict: boolean; anchor: boolean }): Problem | null {
  if (cert.defects.length > 0) return problem('MalformedCertificate', `it is malformed: ${cert.defects[0]}`);
  if (opts.strict && cert.version !== 3) return problem('MalformedCertificate', `it is a version ${cert.version} certificate (version 3 is required)`);
  if (!sameBytes(cert.signatureAlgorithm, cert.tbsSignatureAlgorithm)) {
    return problem('MalformedCertificate', 'its two signature algorithm fields differ (RFC 5280 §4.1.1.2)');
  }
  for (const [oid, ext] of cert.extensions) {
    if (!ext.critical) continue;
    if (NEVER_CRITICAL.has(oid)) return problem('MalformedCertificate', `its extension ${oid} is marked critical, which RFC 5280 forbids`);
    if (!UNDERSTOOD.has(oid)) return problem('UnknownCriticalExtension', `it has a critical extension this validator does not understand (${oid})`);
  }
  const weak = keyWeakness(cert);
  if (weak) return problem('WeakKey', `it has ${weak}`);
  if (!opts.anchor) {
    const scheme = signatureScheme(cert.signatureAlgorithm);
    if (typeof scheme === 'string') return problem('WeakSignatureAlgorithm', `it is signed with ${scheme.replace(/^the /, 'an algorithm: ')}`);
  }
  if (cert.issuer.empty) return problem('MalformedCertificate', 'its issuer name is empty');
  const san = cert.extensions.get(EXT.SAN);
  if (cert.subject.empty && (!san || !san.critical)) return problem('MalformedCertificate', 'its subject is empty and it has no critical subjectAltName');
  if (!cert.subject.empty && san?.critical) return problem('MalformedCertificate', 'its subjectAltName is critical although the subject is not empty');
  const bc = cert.basicConstraints;
  const ku = cert.keyUsage;
  if (ku !== null && ku & KU.keyCertSign && !bc?.ca) return problem('MalformedCertificate', 'its KeyUsage allows signing certificates but it is not a CA (RFC 5280 §4.2.1.3)');
  if (opts.strict) {
    const aki = cert.aki;
    const selfSigned = cert.selfIssued && (!aki?.keyId || aki.keyId === cert.ski);
    // A trust anchor is trusted for its name and key alone: who issued it, and so its AKI, do not matter.
    if (!aki && !selfSigned && !opts.anchor) return problem('MissingKeyIdentifier', 'it has no AuthorityKeyIdentifier (RFC 5280 §4.2.1.1)');
    if (aki && !aki.keyId) return problem('MissingKeyIdentifier', 'its AuthorityKeyIdentifier has no keyIdentifier');
  }
  return role === 'leaf' ? leafProblem(cert, opts.strict) : caProblem(cert, opts);
}

/**
 * CA/Browser Forum BR 7.1.4.3: a subject CN is a character-for-character copy of a SAN dNSName, or
 * the canonical text of a SAN iPAddress. Enforced where the CN names one of the SAN entries but is
 * written differently (case, IPv4 in hex or with leading zeros, IPv6 not in RFC 5952 form, a
 * U-label for an A-label): such a look-alike shows operators and legacy clients a name that differs
 * from the one validated. A CN naming something else entirely is ignored, as clients ignore the CN
 * (BetterTLS expects that); docs/limbo.md lists the two limbo cases this leaves accepted.
 */
function commonNameProblem(cert: CertificateFacts): Problem | null {
  const san = cert.san ?? [];
  for (const cn of attributeTexts(cert.subject, OID_CN)) {
    const exact = san.some((n) => (n.kind === 'dns' && n.text === cn) || (n.kind === 'ip' && (n.bytes.length === 4 || n.bytes.length === 16) && formatIp(n.bytes) === cn));
    if (exact) continue;
    const lower = cn.toLowerCase();
    const ascii = domainToASCII(cn);
    const ip = parseIp(cn) ?? parseLegacyIpv4(cn);
    const lookalike = san.some((n) => (n.kind === 'dns' && (n.text.toLowerCase() === lower || (ascii !== '' && n.text.toLowerCase() === ascii))) || (n.kind === 'ip' && ip !== null && sameBytes(n.bytes, ip)));
    // A U-label (non-ASCII) domain can never be a copy of an IA5 dNSName: always a look-alike.
    const uLabel = /[^\x00-\x7f]/.test(cn) && ascii !== '';
    if (lookalike || uLabel) return problem('CommonNameNotInSan', `its subject CN '${cn}' names a subjectAltName entry but is not written exactly as it (CA/Browser Forum 7.1.4.3)`);
  }
  return null;
}

function leafProblem(cert: CertificateFacts, strict: boolean): Problem | null {
  if (strict) {
    const cn = commonNameProblem(cert);
    if (cn) return cn;
  }
  if (cert.nameConstraints) return problem('MalformedCertificate', 'it is an end-entity certificate with name constraints (only CAs may have them)');
  if (cert.basicConstraints?.ca) return problem('LeafIsCa', 'it is a CA certificate used as a server or client certificate (CA/Browser Forum 7.1.2.7.8: cA must be false)');
  return null;
}

function caProblem(cert: CertificateFacts, opts: { strict: boolean; anchor: boolean }): Problem | null {
  const bc = cert.basicConstraints;
  if (!bc?.ca) return problem('IssuerNotCa', 'it is not a CA certificate (BasicConstraints cA is not set)');
  if (cert.keyUsage !== null && !(cert.keyUsage & KU.keyCertSign)) return problem('IssuerKeyUsageMissing', 'its KeyUsage does not allow signing certificates (keyCertSign)');
  if (opts.strict) {
    if (!cert.extensions.get(EXT.BASIC_CONSTRAINTS)?.critical) return problem('MalformedCertificate', 'its BasicConstraints is not critical (RFC 5280 §4.2.1.9)');
    if (!cert.ski) return problem('MissingKeyIdentifier', 'it is a CA without a SubjectKeyIdentifier (RFC 5280 §4.2.1.2)');
    const aki = cert.aki;
    if (aki && (aki.hasIssuer || aki.hasSerial)) return problem('MalformedCertificate', 'its AuthorityKeyIdentifier names an issuer and serial (CA/Browser Forum 7.1.2.11.1)');
    if (aki?.keyId && cert.selfIssued && opts.anchor && cert.ski && aki.keyId !== cert.ski) {
      return problem('MalformedCertificate', 'it is a self-signed root whose AuthorityKeyIdentifier differs from its SubjectKeyIdentifier');
    }
  }
  if (cert.nameConstraints) {
    const defect = constraintsDefect(cert.nameConstraints);
    if (defect) return problem('MalformedCertificate', defect);
  }
  return null;
}
