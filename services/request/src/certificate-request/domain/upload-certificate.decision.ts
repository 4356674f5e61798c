/**
 * The offline upload rules: which request takes an uploaded certificate, and which certificate it
 * takes. Pure: the certificates and the CSR come in parsed; only pure functions of libs/pki are used.
 */
import { certificateNames, compareNames, namesToCertify, spkiFingerprint, toPem } from '@certflow/pki';
import { accepted, rejected, type Decision, type UploadCertificate } from './request.messages';
import { unknownState, type PendingRequest, type RequestSnapshot } from './request.states';

/**
 * Accepted (one `CertificateUploaded`) only for a request of an offline issuer, while it is PENDING,
 * with a certificate that carries the CSR's public key and exactly the names certflow would certify.
 * Refused, in this order: NOT_OFFLINE, NOT_PENDING (details `{state}`), KEY_MISMATCH,
 * CERTIFICATE_NAMES_MISMATCH (details `{missing, extra}`).
 */
export function decideUpload(s: RequestSnapshot, c: UploadCertificate): Decision {
  if (!c.offlineIssuers.includes(s.issuer)) {
    return rejected('NOT_OFFLINE', `request ${s.id} is for issuer "${s.issuer}", which delivers its certificates itself; only offline issuers take an upload`);
  }
  switch (s.state) {
    case 'PENDING':
      return uploadWhilePending(s, c);
    case 'SUBMITTED':
    case 'ISSUED':
    case 'CHAIN_INCOMPLETE':
    case 'ASSIGNABLE':
    case 'ASSIGNED':
    case 'FAILED':
    case 'SUPERSEDED':
    case 'REVOKED':
      return rejected('NOT_PENDING', `request ${s.id} is ${s.state}; a certificate can be uploaded only while it is PENDING`, { state: s.state });
    default:
      return unknownState(s);
  }
}

function uploadWhilePending(s: PendingRequest, c: UploadCertificate): Decision {
  if (spkiFingerprint(c.leaf.publicKey.rawData) !== c.csr.spkiFingerprint) {
    return rejected('KEY_MISMATCH', "the certificate does not carry the CSR's public key; upload the certificate the CA issued for this request's CSR");
  }
  // The key alone would let an offline CA's answer for other names, or a certificate made elsewhere
  // for the same key, into the flow.
  const expected = namesToCertify(c.csr, s.host);
  const wanted = [...expected.dnsNames, ...expected.ipAddresses];
  const found = certificateNames(c.leaf);
  const { missing, extra } = compareNames(wanted, [...found.dnsNames, ...found.ipAddresses]);
  if (missing.length > 0 || extra.length > 0) {
    const said = [missing.length ? `it lacks ${missing.join(', ')}` : '', extra.length ? `it also names ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
    return rejected(
      'CERTIFICATE_NAMES_MISMATCH',
      `the certificate's subjectAltNames must be this request's names (${wanted.join(', ')}), but ${said}; upload the certificate the CA issued for this request's CSR`,
      { missing, extra },
    );
  }
  return accepted({ type: 'CertificateUploaded', at: c.at, certificate: toPem(c.leaf), chain: c.chain.map(toPem), by: c.by });
}
