// What a transition writes: the request's row (whole when new, only what changed after) and its
// history, as `Write`s of the typed column maps. The command path and the fact handlers both run
// them through planWrites.
import { insertRow, updateRow, type Write } from '@certflow/messaging';
import { parseCertificate, pemThumbprints } from '@certflow/pki';
import { stateAfter, type RequestEvent, type RequestSnapshot } from '../domain/certificate-request.state';
import { toRecord, type RequestRecord } from './certificate-request.mapper';
import { CERTIFICATE_REQUEST, MUTABLE_FIELDS, REQUEST_HISTORY, type CertificateRequestColumns, type MutableField } from './certificate-request.tables';

/** A field as the row stores it: absent is NULL. */
function stored(r: RequestRecord, field: MutableField): unknown {
  return r[field] ?? null;
}

/** Equal stored values: the same text or number, the same instant, or documents with the same JSON. */
function sameStored(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields to SET, only what changed (and updatedAt): rewriting the certificate, chain and
 * validation documents on every transition made PostgreSQL compress them again each time. A field
 * the transition left as it was (the same value or object) is not serialized at all: turning the
 * certificate and chain into JSON twice per fact cost a third of the fact handler.
 */
export function changedFields(before: RequestRecord, after: RequestRecord): MutableField[] {
  return MUTABLE_FIELDS.filter((f) => f === 'updatedAt' || (before[f] !== after[f] && !sameStored(stored(before, f), stored(after, f))));
}

/** A new request's row, at version 0. `ifExists: 'skip'` leaves out a request whose idempotency key is stored already. */
export function requestInsert(s: RequestSnapshot, extra: { idempotencyKey: string | null; bodyHash: string | null }, ifExists: 'skip' | 'fail' = 'fail'): Write {
  const r = toRecord(s);
  const row: CertificateRequestColumns = {
    id: r.id,
    host: r.host,
    autoAssign: r.autoAssign,
    issuer: r.issuer,
    friendlyName: r.friendlyName,
    csr: r.csr,
    idempotencyKey: extra.idempotencyKey,
    bodyHash: extra.bodyHash,
    createdAt: r.createdAt,
    version: 0,
    renewalOf: r.renewalOf ?? null,
    renewBefore: r.renewBefore ?? null,
    rotationPolicy: r.rotationPolicy,
    ...validityOf(r.certificate),
    issuedBy: issuedByOf(r),
    ...(Object.fromEntries(MUTABLE_FIELDS.map((f) => [f, stored(r, f)])) as Pick<CertificateRequestColumns, MutableField>),
  };
  return insertRow(CERTIFICATE_REQUEST, row, { ifExists });
}

/**
 * The update from `before` to `after` (what changed, and `version`), or null when the transition
 * changed nothing the row holds (an offline upload: the request moves only when ca-gateway answers),
 * which leaves the row and its version alone.
 */
export function requestUpdate(before: RequestSnapshot, after: RequestSnapshot, version: number): Write | null {
  const set = changedFields(toRecord(before), toRecord(after));
  if (set.length === 1 && before.updatedAt.getTime() === after.updatedAt.getTime()) return null;
  const a = toRecord(after);
  const row: Partial<CertificateRequestColumns> & Pick<CertificateRequestColumns, 'id'> = { id: after.id, version };
  for (const f of set) (row as Record<string, unknown>)[f] = stored(a, f);
  const derived: (keyof CertificateRequestColumns)[] = [];
  if (set.includes('validation') || set.includes('chain')) {
    row.issuedBy = issuedByOf(a);
    derived.push('issuedBy');
  }
  if (!set.includes('certificate')) return updateRow<CertificateRequestColumns, 'id'>(CERTIFICATE_REQUEST, row, [...set, ...derived, 'version']);
  // The validity is read out of the certificate once, when it is recorded: the inventory pages on it.
  Object.assign(row, validityOf(a.certificate));
  return updateRow<CertificateRequestColumns, 'id'>(CERTIFICATE_REQUEST, row, [...set, ...derived, 'notBefore', 'notAfter', 'version']);
}

/**
 * The CA certificate that issued the request's certificate (SHA-1, upper-case), for the inventory's
 * `issuedBy` filter: the validated path's second certificate, else the chain's first as the CA sent it.
 */
export function issuedByOf(r: RequestRecord): string | null {
  if (r.validation?.status === 'complete' && r.validation.path[1]) return r.validation.path[1].toUpperCase();
  if (!r.chain?.[0]) return null;
  try {
    return pemThumbprints(r.chain[0]).sha1;
  } catch {
    return null;
  }
}

/** The certificate's notBefore and notAfter as columns (null without a certificate, or one that does not parse). */
export function validityOf(certificate: string | undefined): Pick<CertificateRequestColumns, 'notBefore' | 'notAfter'> {
  if (!certificate) return { notBefore: null, notAfter: null };
  try {
    const c = parseCertificate(certificate);
    return { notBefore: c.notBefore, notAfter: c.notAfter };
  } catch {
    return { notBefore: null, notAfter: null };
  }
}

/** The states the events lead to, as history rows; a state repeated in a row is written once. */
export function historyInserts(requestId: string, events: readonly RequestEvent[], from?: string): Write[] {
  let current = from;
  const writes: Write[] = [];
  for (const e of events) {
    const state = stateAfter(e);
    if (!state || state === current) continue;
    current = state;
    writes.push(insertRow(REQUEST_HISTORY, { requestId, state, at: e.at, reason: reasonOf(e) }));
  }
  return writes;
}

function reasonOf(e: RequestEvent): string | null {
  switch (e.type) {
    case 'Pending':
      return e.detail ?? null;
    case 'ChainIncomplete':
      return e.missing.map((g) => `missing ${g.kind} ${g.subject}`).join('; ');
    case 'Failed':
      return `${e.code}: ${e.message}`;
    case 'Assigned':
      return `assigned to ${e.usages.join(', ')}`;
    case 'Superseded':
      return e.by ? `superseded by ${e.by}` : 'every binding was taken over';
    case 'Revoked':
      return `revoked (${e.reason})${e.atCa === 'manual' ? ': recorded only, revoke it at the CA by hand' : ''}`;
    default:
      return null;
  }
}
