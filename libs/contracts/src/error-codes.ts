/**
 * Every error code certflow's HTTP API can answer, in `{"error":{"code","message","details"?}}`,
 * with its HTTP status and what it means. RPC refusals of the other services that the request
 * service passes through (trust store, certificate lookup) are listed too: a client sees them the same.
 *
 * Convention for codes (docs/errors.md says the same; test/architecture/error-codes.spec.ts checks
 * that every code thrown is listed here and every code listed is thrown):
 * - UPPER_SNAKE, a noun phrase of what is wrong (`CSR_UNPARSABLE`, `HOST_NOT_ALLOWED`,
 *   `INVALID_<field>` for a value of the wrong shape, `UNKNOWN_<thing>` for a name certflow does not
 *   know, `<THING>_NOT_FOUND` for a missing resource, `TOO_MANY_<things>` for a limit).
 * - Stable once published: a code is part of the public contract; it is never renamed, and never
 *   reused with another meaning. A new meaning gets a new code.
 * - The message beside it says what to fix; `details` carries structured data clients may read.
 * - Why a request or an assignment FAILED (`RequestFailed.code`, usage refusals such as
 *   `HostNotInCertificate`, CA outcomes such as `CaUnreachable`) is a reason, not an error answer:
 *   reasons are PascalCase and live with the events that carry them.
 */

/** One entry of the catalog: the HTTP status it is answered with (null: not an HTTP answer) and its meaning. */
export interface ErrorCodeEntry {
  /** HTTP status answered with the code; null when the code travels another way (e.g. an SSE `closed` event). */
  readonly status: number | null;
  /** One line: what is wrong, in the client's terms. */
  readonly meaning: string;
}

/** The public error codes, by code. Add here first, then throw it; never rename or reuse one. */
export const ERROR_CODES = {
  // The request body and query
  INVALID_JSON: { status: 400, meaning: 'The request body is not valid JSON.' },
  JSON_TOO_DEEP: { status: 400, meaning: 'The JSON body nests deeper than the API reads.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The body (or what it becomes for the service answering it) is larger than accepted.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The Content-Type is not one the route takes (JSON, or PEM text where a certificate is sent).' },
  INVALID_BODY: { status: 400, meaning: 'The body does not have the shape the route takes; the message shows the shape.' },
  UNKNOWN_FIELD: { status: 400, meaning: 'The body has a field the route does not know; `details` or the message lists the allowed ones.' },
  INVALID_QUERY: { status: 400, meaning: 'A query parameter is given more than once or not as a single value.' },
  INVALID_LIMIT: { status: 400, meaning: 'The `limit` query parameter is not a whole number in the allowed range.' },
  INVALID_CURSOR: { status: 400, meaning: 'The `cursor` query parameter is not one a previous page returned.' },
  INVALID_STATE: { status: 400, meaning: 'The `state` filter is not a request state.' },
  INVALID_KIND: { status: 400, meaning: 'The `kind` filter of the audit log is not an audit kind.' },
  INVALID_STATUS: { status: 400, meaning: 'The `status` filter of the certificate inventory is not a certificate status.' },
  INVALID_EXPIRES_BEFORE: { status: 400, meaning: 'The `expiresBefore` filter is not an ISO 8601 date-time.' },
  INVALID_DAYS: { status: 400, meaning: 'The `days` query parameter of the expiry summary is not a whole number in the allowed range.' },
  INVALID_WAIT: { status: 400, meaning: 'The `wait` query parameter of the host events feed is not a number of seconds in the allowed range.' },
  BAD_REQUEST: { status: 400, meaning: 'The HTTP layer refused the request for a reason without a more precise code.' },

  // Authentication and authorisation
  UNAUTHENTICATED: { status: 401, meaning: 'No bearer token, or one certflow does not know (never issued, revoked or expired).' },
  FORBIDDEN: { status: 403, meaning: 'The token is valid but its role may not do this.' },
  HOST_NOT_ALLOWED: { status: 403, meaning: 'The token is limited to host patterns that do not cover this host; `details` has the patterns and the refused names.' },
  TOKEN_REVOKED: { status: null, meaning: 'The token of an open event stream was revoked; the stream ends with this code in its `closed` event.' },
  TOO_MANY_STREAMS: { status: 429, meaning: 'Too many live event streams are open (for this token, or in all); close one and retry.' },

  // Tokens
  INVALID_TOKEN_NAME: { status: 400, meaning: 'The token name is empty, too long or uses characters a name may not.' },
  UNKNOWN_ROLE: { status: 400, meaning: 'The role is not one of the token roles.' },
  HOSTS_REQUIRED: { status: 400, meaning: 'A requester or agent token needs `hosts`: the host names or patterns it may reach.' },
  HOSTS_NOT_ALLOWED: { status: 400, meaning: '`hosts` was given for a role that is not limited by host.' },
  INVALID_HOST_PATTERN: { status: 400, meaning: 'A host pattern is neither a host name nor `*.<domain>`.' },
  TOKEN_NAME_TAKEN: { status: 409, meaning: 'A live token already has this name.' },
  TOKEN_NOT_FOUND: { status: 404, meaning: 'No token has this id.' },

  // Submitting a request
  CSR_MISSING: { status: 400, meaning: 'The body has no `csr`.' },
  CSR_NOT_PEM: { status: 400, meaning: 'The CSR is not PEM text with one CERTIFICATE REQUEST block.' },
  CSR_TOO_LARGE: { status: 400, meaning: 'The CSR text is longer than accepted.' },
  CSR_UNPARSABLE: { status: 400, meaning: 'The CSR is not one readable PKCS#10 request (bad base64, damaged DER, or several requests).' },
  CSR_KEY_TOO_WEAK: { status: 400, meaning: "The CSR's key is too small (RSA under 2048 bits, EC under 256)." },
  CSR_KEY_UNSUPPORTED: { status: 400, meaning: "The CSR's key type or size is not one certflow issues for." },
  CSR_SIGNATURE_INVALID: { status: 400, meaning: "The CSR's signature does not verify with its own key (no proof of possession)." },
  INVALID_HOST: { status: 400, meaning: '`host` is not a host name or IP address.' },
  HOST_NOT_IN_CSR: { status: 400, meaning: "`host` is not among the CSR's names (CN or subjectAltName)." },
  UNKNOWN_ISSUER: { status: 400, meaning: '`issuer` is not a configured issuer.' },
  UNKNOWN_USAGE: { status: 400, meaning: 'A usage is not one certflow knows.' },
  TOO_MANY_USAGES: { status: 400, meaning: 'More usages than a request can ask for.' },
  INVALID_IDEMPOTENCY_KEY: { status: 400, meaning: 'The Idempotency-Key header is empty, too long or not printable.' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, meaning: 'The Idempotency-Key was used before for a different submission.' },
  TOO_MANY_ITEMS: { status: 400, meaning: 'A batch has more items than one call takes (POST /api/v1/requests/batch: at most 1000); split it.' },

  // A request and its certificate
  REQUEST_NOT_FOUND: { status: 404, meaning: 'No request has this id (or the token may not see it).' },
  ALREADY_EXISTS: { status: 409, meaning: 'A request with this id already exists (a domain rejection; the API makes new ids, so it is not expected in an answer).' },
  NOT_ASSIGNABLE: { status: 409, meaning: 'The request is not in a state that can be assigned; `details` has its state and validation.' },
  USAGE_NOT_REQUESTED: { status: 409, meaning: 'The assignment asks for a usage the request did not ask for.' },
  NOT_OFFLINE: { status: 409, meaning: "The request's issuer delivers its certificates itself; only offline issuers take an upload." },
  NOT_PENDING: { status: 409, meaning: 'A certificate can be uploaded only while the request is PENDING; `details` has its state.' },
  CSR_REQUIRED: { status: 400, meaning: "A renewal of a request whose rotationPolicy is `Always` needs a new `csr` (the host makes a new key)." },
  NOT_RENEWABLE: { status: 409, meaning: 'Only an ASSIGNED request can be renewed; `details` has its state.' },
  KEY_NOT_ROTATED: { status: 400, meaning: "The renewal's CSR has the old certificate's public key, and the request's rotationPolicy is `Always`." },
  CERTIFICATE_MISSING: { status: 400, meaning: 'The body has no certificate (upload, or trust import).' },
  CERTIFICATE_NOT_PEM: { status: 400, meaning: 'The text is neither PEM CERTIFICATE blocks, base64 DER nor a PKCS#7 bundle.' },
  CERTIFICATE_UNPARSABLE: { status: 400, meaning: 'A certificate in the text is not a readable X.509 certificate.' },
  TOO_MANY_CERTIFICATES: { status: 400, meaning: 'The text holds (or is long enough to hold) more certificates than accepted at once.' },
  KEY_MISMATCH: { status: 400, meaning: "The uploaded certificate's public key is not the CSR's key." },
  CERTIFICATE_NAMES_MISMATCH: { status: 400, meaning: "The uploaded certificate's subjectAltNames are not the request's names; `details` has `missing` and `extra`." },

  // Certificates and trust stores
  INVALID_THUMBPRINT: { status: 400, meaning: 'A thumbprint is 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.' },
  CERTIFICATE_NOT_FOUND: { status: 404, meaning: 'No certificate with this thumbprint is known.' },
  INVALID_REASON: { status: 400, meaning: 'A revocation reason is not an RFC 5280 reason name certflow takes; the message lists them.' },
  NOT_REVOCABLE: { status: 409, meaning: 'The certificate belongs to a request that FAILED; certflow revokes only certificates it let into the flow. `details` has the state.' },
  HOLD_NOT_SUPPORTED: { status: 400, meaning: '`certificateHold` is refused: certflow does not un-revoke, so a revocation is final.' },
  NOT_A_CA: { status: 400, meaning: 'A certificate imported into a trust store is not a CA certificate.' },
  NOT_A_ROOT: { status: 400, meaning: 'A certificate imported as a root is not self-signed.' },
  NOT_AN_INTERMEDIATE: { status: 400, meaning: 'A certificate imported as an intermediate is self-signed (a root).' },
  CA_CERTIFICATE_UNUSABLE: { status: 400, meaning: 'A CA certificate cannot be used to validate chains (expired, bad signature or key).' },
  INVALID_REQUEST: { status: 400, meaning: 'A service refused the question the request service sent it (not expected from the public API).' },

  // Anything
  NOT_FOUND: { status: 404, meaning: 'No such route, trust store or certificate in the store named.' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'The route does not take this HTTP method.' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'A certflow service did not answer; check that all four run, then retry.' },
  INTERNAL: { status: 500, meaning: 'certflow failed to handle the request; the service log has the cause.' },
} as const satisfies Record<string, ErrorCodeEntry>;

/** A public error code: what `ApiError` takes and clients may switch on. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes thrown inside certflow that never reach an API answer (key material and start-up checks
 * of the CA gateway). Listed so the catalog test can tell them from a public code left out.
 */
export const INTERNAL_ERROR_CODES = {
  KEY_LABEL_INVALID: 'A key blob was encrypted without a label naming what it is (a programming error).',
  KEY_DECRYPT_FAILED: 'A stored CA key blob is malformed or does not decrypt with the configured key.',
  KEY_TYPE_UNSUPPORTED: 'A CA key type is not one certflow signs with.',
  KEY_UNPARSABLE: 'A CA private key is not PKCS#8 DER, or cannot be imported.',
  ENCRYPTION_KEY_INVALID: 'The key-encryption secret is empty or not 32 bytes.',
} as const;
