import { EKU_NAMES, certificateNames, extendedKeyUsageNames } from './certificate.details';
import { parseCertificate, singleCertificateDer } from './certificate.parser';
import { decodeCertificate, type CertificateFacts } from './path/certificate.facts';
import { commonNameOf } from './path/name.facts';
import { ipAddressText } from './ip-address.text';
import type { SubjectNames } from './subject-alt-name.reader';

/** What deciding a certificate's usages needs: its EKU names (null: no EKU extension) and the names it is for. */
export interface UsageFacts {
  extendedKeyUsage: string[] | null;
  names: SubjectNames;
}

function fromFacts(facts: CertificateFacts): UsageFacts {
  const san = facts.san ?? [];
  const names: SubjectNames = {
    dnsNames: san.flatMap((n) => (n.kind === 'dns' ? [n.text] : [])),
    ipAddresses: san.flatMap((n) => (n.kind === 'ip' && (n.bytes.length === 4 || n.bytes.length === 16) ? [ipAddressText(n.bytes)] : [])),
  };
  const commonName = commonNameOf(facts.subject);
  if (commonName !== undefined) names.commonName = commonName;
  return { extendedKeyUsage: facts.eku ? facts.eku.map((oid) => EKU_NAMES[oid] ?? oid) : null, names };
}

/**
 * Usage facts of the one certificate in `pem`, read with the path engine's decoder: the assignment
 * service reads every leaf once, and a full X509Certificate costs several times as much. A
 * certificate the decoder finds defects in goes the general way, so the answer never differs.
 *
 * @throws PkiInputError as {@link parseCertificate} when the certificate cannot be read at all.
 */
export function certificateUsageFacts(pem: string): UsageFacts {
  const der = singleCertificateDer(pem);
  if (der) {
    try {
      const facts = decodeCertificate(der);
      if (facts.defects.length === 0) return fromFacts(facts);
    } catch {
      // fall through to the general reader, which says what is wrong
    }
  }
  const cert = parseCertificate(pem);
  const eku = extendedKeyUsageNames(cert);
  return { extendedKeyUsage: eku ? [...eku] : null, names: certificateNames(cert) };
}
