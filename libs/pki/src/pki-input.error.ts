/**
 * Input that the PKI functions refuse: a PEM that is not a PEM, a CSR whose signature does not verify, a
 * key that is too weak, a tampered key blob...
 *
 * `code` is a stable UPPER_SNAKE string that callers map to an HTTP 400 body (`CSR_SIGNATURE_INVALID`,
 * `CERTIFICATE_NOT_PEM`, ...); `message` says what the sender must fix. Thrown for hostile input
 * instead of any lower-level exception (ASN.1, WebCrypto, base64), so callers need catch only this one.
 */
export class PkiInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PkiInputError';
  }
}

/** `true` when `error` is a {@link PkiInputError} (works across duplicated module instances too). */
export function isPkiInputError(error: unknown): error is PkiInputError {
  return error instanceof PkiInputError || (error instanceof Error && error.name === 'PkiInputError' && typeof (error as PkiInputError).code === 'string');
}
