import { certificateNames, compareNames, namesToCertify, type LeafNames, type X509Certificate } from '@certflow/pki';
import { ApiError } from '../../../http/api-error';

/**
 * An uploaded certificate's DNS and IP SANs must be the names certflow would certify for the request
 * (the CSR's SANs and the host: namesToCertify), compared case-insensitively, a trailing dot ignored.
 * The key alone would let an offline CA's answer for other names, or a certificate made elsewhere for
 * the same key, into the flow.
 *
 * @throws ApiError 400 `CERTIFICATE_NAMES_MISMATCH`, details `{missing, extra}`.
 */
export function checkCertificateNames(leaf: X509Certificate, csr: LeafNames, host: string): void {
  const expected = namesToCertify(csr, host);
  const wanted = [...expected.dnsNames, ...expected.ipAddresses];
  const found = certificateNames(leaf);
  const { missing, extra } = compareNames(wanted, [...found.dnsNames, ...found.ipAddresses]);
  if (missing.length === 0 && extra.length === 0) return;
  const said = [missing.length ? `it lacks ${missing.join(', ')}` : '', extra.length ? `it also names ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
  throw new ApiError(
    400,
    'CERTIFICATE_NAMES_MISMATCH',
    `the certificate's subjectAltNames must be this request's names (${wanted.join(', ')}), but ${said}; upload the certificate the CA issued for this request's CSR`,
    { missing, extra },
  );
}
