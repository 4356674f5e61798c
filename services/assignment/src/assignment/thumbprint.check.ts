import { pemThumbprints } from '@certflow/pki';

/** Why a certificate to bind is not the one its fact names; the request fails with it (stage assignment). */
export interface ThumbprintRefusal {
  code: 'ThumbprintMismatch';
  message: string;
}

/**
 * Recomputes the thumbprint of the certificate an assignment request carries (SHA-1 of the DER,
 * upper-case hex, as libs/pki computes it) and holds it against the one the request names: the
 * chain.complete that licenses the binding is for that thumbprint, so a certificate that is not
 * the one it names must not be bound under it. As trust-validation does for `certificate.issued`.
 *
 * @throws PkiInputError when the text is not exactly one readable certificate.
 */
export function thumbprintRefusal(certificatePem: string, thumbprint: string): ThumbprintRefusal | null {
  const actual = pemThumbprints(certificatePem).sha1;
  if (actual === thumbprint) return null;
  return {
    code: 'ThumbprintMismatch',
    message: `The certificate to assign has the SHA-1 thumbprint ${actual}, not ${thumbprint} as the assignment request (and its chain.complete) names; nothing was bound.`,
  };
}
