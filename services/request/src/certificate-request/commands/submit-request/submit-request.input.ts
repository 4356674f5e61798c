import { DEFAULT_USAGES, ISO_DURATION_HINT, ROTATION_POLICIES, USAGES, isUsage, normalizeHost, parseIsoDuration, type RotationPolicy, type Usage } from '@certflow/contracts';
import { ApiError } from '../../../http/api-error';

export interface SubmitInput {
  host: string;
  csr: string;
  usages: Usage[];
  autoAssign: boolean;
  issuer: string;
  friendlyName: string | null;
  /** ISO 8601 duration; absent: the configured default (one third of the lifetime). */
  renewBefore?: string;
  rotationPolicy: RotationPolicy;
}

/** Longest `usages` array accepted (there are three usages; repeats are tolerated, not thousands of them). */
export const MAX_USAGES = 16;

export function tooManyUsages(count: number): ApiError {
  return new ApiError(400, 'TOO_MANY_USAGES', `\`usages\` has ${count} entries; at most ${MAX_USAGES} are accepted (the usages are ${USAGES.join(', ')})`);
}

/** An idempotency key (the Idempotency-Key header, or a batch item's `idempotencyKey`): absent, or 1-200 visible ASCII characters. */
export function checkIdempotencyKey(key: unknown): asserts key is string | undefined {
  if (key !== undefined && (typeof key !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(key))) {
    throw new ApiError(400, 'INVALID_IDEMPOTENCY_KEY', 'an idempotency key must be 1-200 visible ASCII characters (a UUID is a good choice)');
  }
}

const FIELDS = new Set(['host', 'csr', 'usages', 'autoAssign', 'issuer', 'friendlyName', 'renewBefore', 'rotationPolicy']);
// RFC 1123 host names, at most 253 characters; a trailing dot is dropped before the check.
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Checks the shape of a submission and answers the first problem with a stable code:
 * INVALID_BODY, UNKNOWN_FIELD, INVALID_HOST, CSR_MISSING, UNKNOWN_USAGE, UNKNOWN_ISSUER.
 * The CSR itself is checked afterwards (libs/pki checkCsr).
 */
export function parseSubmitInput(body: unknown, issuers: readonly string[]): SubmitInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'INVALID_BODY', 'send a JSON object: {"host": "...", "csr": "-----BEGIN CERTIFICATE REQUEST-----..."}');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.length) {
    throw new ApiError(400, 'UNKNOWN_FIELD', `unknown field(s) ${unknown.join(', ')}; allowed: ${[...FIELDS].join(', ')}`);
  }
  // Spaces around the host are refused, not trimmed away: the caller sent something else than a name.
  if (typeof b.host !== 'string' || b.host !== b.host.trim() || !HOSTNAME.test(normalizeHost(b.host))) {
    throw new ApiError(400, 'INVALID_HOST', '`host` must be the server or pool FQDN, e.g. "pool01.corp.example.com"');
  }
  if (typeof b.csr !== 'string' || b.csr.trim() === '') {
    throw new ApiError(400, 'CSR_MISSING', '`csr` must be a PEM certificate request made on the host (e.g. with `openssl req -new`)');
  }
  let usages: Usage[] = [...DEFAULT_USAGES];
  if (b.usages !== undefined) {
    if (!Array.isArray(b.usages) || b.usages.length === 0) {
      throw new ApiError(400, 'UNKNOWN_USAGE', `\`usages\` must be a non-empty array of ${USAGES.join(', ')}`);
    }
    if (b.usages.length > MAX_USAGES) throw tooManyUsages(b.usages.length);
    const bad = b.usages.filter((u) => !isUsage(u));
    if (bad.length) {
      throw new ApiError(400, 'UNKNOWN_USAGE', `unknown usage(s) ${bad.map((u) => JSON.stringify(u)).join(', ')}; use ${USAGES.join(', ')}`);
    }
    usages = USAGES.filter((u) => (b.usages as unknown[]).includes(u));
  }
  if (b.autoAssign !== undefined && typeof b.autoAssign !== 'boolean') {
    throw new ApiError(400, 'INVALID_BODY', '`autoAssign` must be true or false');
  }
  const issuer = b.issuer === undefined ? 'internal' : b.issuer;
  if (typeof issuer !== 'string' || !issuers.includes(issuer)) {
    throw new ApiError(400, 'UNKNOWN_ISSUER', `unknown issuer ${JSON.stringify(issuer)}; configured issuers: ${issuers.join(', ')}`);
  }
  if (b.friendlyName !== undefined && b.friendlyName !== null && (typeof b.friendlyName !== 'string' || b.friendlyName.length > 200)) {
    throw new ApiError(400, 'INVALID_BODY', '`friendlyName` must be a string of at most 200 characters');
  }
  return {
    host: normalizeHost(b.host),
    csr: b.csr,
    usages,
    autoAssign: (b.autoAssign as boolean | undefined) ?? true,
    issuer,
    friendlyName: (b.friendlyName as string | null | undefined) ?? null,
    ...parseRenewalTerms(b),
  };
}

/** `renewBefore` and `rotationPolicy` of a submission (INVALID_BODY when malformed). */
export function parseRenewalTerms(b: Record<string, unknown>): { renewBefore?: string; rotationPolicy: RotationPolicy } {
  if (b.renewBefore !== undefined && (typeof b.renewBefore !== 'string' || b.renewBefore.length > 40 || parseIsoDuration(b.renewBefore) === null)) {
    throw new ApiError(400, 'INVALID_BODY', `\`renewBefore\` must be ${ISO_DURATION_HINT}`);
  }
  if (b.rotationPolicy !== undefined && !(ROTATION_POLICIES as readonly unknown[]).includes(b.rotationPolicy)) {
    throw new ApiError(400, 'INVALID_BODY', `\`rotationPolicy\` must be one of ${ROTATION_POLICIES.join(', ')} (Always: the host makes a new key for each renewal)`);
  }
  return { ...(b.renewBefore !== undefined ? { renewBefore: b.renewBefore as string } : {}), rotationPolicy: (b.rotationPolicy as RotationPolicy | undefined) ?? 'Always' };
}
