import type { TrustStoreName } from '@certflow/contracts';
import { basicConstraints, caCertificateProblem, certificateFacts, issuerOf, subjectOf, thumbprintSha1, type X509Certificate } from '@certflow/pki';

/**
 * Why a certificate does not belong in the store it was sent to. Stable codes; the message says what
 * to import instead.
 * - `NOT_A_CA`: a server or client certificate (no BasicConstraints cA=true) sent to either store.
 * - `NOT_A_ROOT`: a CA certificate sent to roots that is not self-signed.
 * - `NOT_AN_INTERMEDIATE`: a self-signed root sent to intermediates.
 * - `CERTIFICATE_UNPARSABLE`: readable as X.509, but damaged where path validation reads it (e.g. a
 *   malformed extension), so it could never be on a valid path. Same code as a certificate no parser reads.
 * - `CA_CERTIFICATE_UNUSABLE`: a sound CA certificate of the right kind that breaks a rule chain
 *   validation applies to every CA on a path (a weak key, a critical extension it does not
 *   understand, KeyUsage without keyCertSign, …); `rule` names it as validation would.
 */
export type TrustStoreRefusalCode = 'NOT_A_CA' | 'NOT_A_ROOT' | 'NOT_AN_INTERMEDIATE' | 'CERTIFICATE_UNPARSABLE' | 'CA_CERTIFICATE_UNUSABLE';

export interface TrustStoreRefusal {
  code: TrustStoreRefusalCode;
  thumbprint: string;
  subject: string;
  message: string;
  /** For `CA_CERTIFICATE_UNUSABLE`: the validation outcome code a chain through it would get. */
  rule?: string;
}

/**
 * Self-signed in the RFC 5280 sense: it names itself as issuer AND its signature verifies with its own
 * key. A self-issued certificate signed by another key (a CA key rollover) is not a root.
 */
export async function isSelfSigned(cert: X509Certificate): Promise<boolean> {
  if (cert.subject !== cert.issuer) return false;
  try {
    return await cert.verify({ publicKey: cert.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/**
 * `null` when the path engine reads `cert` without a defect, else which certificate of the import
 * (`position`, from 1) is damaged and how. @peculiar/x509 reads lazily and leniently, so a certificate
 * it parses may still carry a defect that makes the path engine refuse it wherever it appears; stored
 * as a trust anchor or intermediate it would complete no chain, and validations would blame a gap.
 */
export function checkUsableOnPaths(cert: X509Certificate, position: number): TrustStoreRefusal | null {
  let defect: string | undefined;
  try {
    defect = certificateFacts(new Uint8Array(cert.rawData)).defects[0];
  } catch (err) {
    defect = `its DER structure cannot be read (${(err as Error).message})`;
  }
  if (defect === undefined) return null;
  const thumbprint = thumbprintSha1(cert);
  let subject = '';
  try {
    subject = subjectOf(cert);
  } catch {
    // Named by position and thumbprint alone.
  }
  return {
    code: 'CERTIFICATE_UNPARSABLE',
    thumbprint,
    subject,
    message:
      `Certificate #${position}${subject ? ` "${subject}"` : ''} (${thumbprint}) is damaged: ${defect}. ` +
      `Path validation refuses it, so it could never complete a chain. Export it again from its CA, or have the CA reissue it.`,
  };
}

/** `null` when `cert` belongs in `store`, else why not and what to import instead. */
export async function checkFitsStore(cert: X509Certificate, store: TrustStoreName): Promise<TrustStoreRefusal | null> {
  const subject = subjectOf(cert);
  const thumbprint = thumbprintSha1(cert);
  const named = `"${subject}" (${thumbprint})`;
  if (basicConstraints(cert)?.ca !== true) {
    return {
      code: 'NOT_A_CA',
      thumbprint,
      subject,
      message:
        `${named} is not a CA certificate (BasicConstraints cA is not set): it is a server or client certificate. ` +
        `Import the ${store === 'roots' ? 'root CA certificate' : 'intermediate CA certificate'} that issued it ("${issuerOf(cert)}") instead.`,
    };
  }
  const selfSigned = await isSelfSigned(cert);
  if (store === 'roots' && !selfSigned) {
    return {
      code: 'NOT_A_ROOT',
      thumbprint,
      subject,
      message:
        `${named} is a CA certificate issued by "${issuerOf(cert)}", not a self-signed root. ` +
        `Import it into the intermediates store, and import the root it chains to into roots.`,
    };
  }
  if (store === 'intermediates' && selfSigned) {
    return {
      code: 'NOT_AN_INTERMEDIATE',
      thumbprint,
      subject,
      message: `${named} is a self-signed root CA certificate, not an intermediate. Import it into the roots store instead.`,
    };
  }
  return null;
}

/**
 * `null` when `cert`, a CA certificate that fits `store` (see `checkFitsStore`), could be on a path
 * chain validation accepts; else the rule it breaks. Stored, it would complete no chain, and the
 * requests waiting on it would stay incomplete with a reason the import could have given at once.
 */
export function checkUsableAsCa(cert: X509Certificate, position: number, store: TrustStoreName): TrustStoreRefusal | null {
  const problem = caCertificateProblem(cert, { anchor: store === 'roots' });
  if (!problem) return null;
  const thumbprint = thumbprintSha1(cert);
  const subject = subjectOf(cert);
  return {
    code: 'CA_CERTIFICATE_UNUSABLE',
    thumbprint,
    subject,
    rule: problem.code,
    message:
      `Certificate #${position} "${subject}" (${thumbprint}) cannot serve as ${store === 'roots' ? 'a trusted root' : 'an intermediate'}: ${problem.reason} (${problem.code}). ` +
      `Chain validation refuses it on any path. Import a CA certificate without this defect; if the CA itself has it, it needs reissuing.`,
  };
}
