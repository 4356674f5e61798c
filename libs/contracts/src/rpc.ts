import { z } from 'zod';

/**
 * Queries and commands between services travel as core NATS request/reply with these bodies: the
 * answer is `{ok:true, result}` or `{ok:false, error}` with a stable code the HTTP layer maps to a
 * status. Contract-level so both ends agree.
 */
export type RpcReply<T> = { ok: true; result: T } | { ok: false; error: RpcErrorBody };
export interface RpcErrorBody {
  code: string;
  message: string;
  /** HTTP status the public API should answer with (400, 404, 409, 422…). */
  status: number;
  details?: unknown;
}

export const TrustStoreName = z.enum(['roots', 'intermediates']);
export type TrustStoreName = z.infer<typeof TrustStoreName>;

export const TrustImportRequest = z.object({ store: TrustStoreName, pem: z.string(), actor: z.string() });
export type TrustImportRequest = z.infer<typeof TrustImportRequest>;
export interface TrustImportResult {
  imported: string[];
  alreadyPresent: string[];
}

export const TrustListRequest = z.object({ store: TrustStoreName });
export const TrustRemoveRequest = z.object({ store: TrustStoreName, thumbprint: z.string(), actor: z.string() });
export type TrustRemoveRequest = z.infer<typeof TrustRemoveRequest>;

/** Look-up of any certificate a service has seen, by SHA-1 or SHA-256 thumbprint (normalised, upper-case). */
export const CertificateLookupRequest = z.object({ thumbprint: z.string() });
export const HostAssignmentsRequest = z.object({ host: z.string() });

/** `pki.crl`: the current CRL of an internal issuer. */
export const PkiCrlRequest = z.object({ issuer: z.string().min(1).max(100) });
export type PkiCrlRequest = z.infer<typeof PkiCrlRequest>;
/** DER (base64) and when it stops being current, for the HTTP cache header. */
export interface PkiCrlResult {
  der: string;
  nextUpdate: string;
}

/** `pki.ocsp`: an OCSP request (DER, base64) for an internal issuer. */
export const PkiOcspRequest = z.object({ issuer: z.string().min(1).max(100), request: z.string().max(20_000) });
export type PkiOcspRequest = z.infer<typeof PkiOcspRequest>;
/** The OCSPResponse (DER, base64): `malformedRequest` too is an answer, not an error. */
export interface PkiOcspResult {
  der: string;
}
