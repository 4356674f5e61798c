import { defineTable } from '@certflow/messaging';
import type { RevocationReason } from '@certflow/contracts';

/** A serial the internal CA issued: OCSP says `unknown` for any other. */
export interface IssuedSerialWrite {
  issuer: string;
  /** normalizeSerial of the leaf's serial. */
  serial: string;
  thumbprint: string;
  requestId: string;
  notAfter: Date;
}

export const ISSUED_SERIAL = defineTable<IssuedSerialWrite>(
  'issued_serial',
  {
    issuer: { name: 'issuer', type: 'text' },
    serial: { name: 'serial', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    requestId: { name: 'request_id', type: 'text' },
    notAfter: { name: 'not_after', type: 'timestamptz' },
  },
  ['issuer', 'serial'],
);

/** Where a revocation is known: the internal CA's CRL and OCSP, the ACME CA, or only here (offline). */
export type AtCa = 'crl-ocsp' | 'acme' | 'manual';

/** One revoked certificate, of any issuer type. The first revocation of a certificate is the one kept. */
export interface RevocationWrite {
  issuer: string;
  serial: string;
  thumbprint: string;
  requestId: string;
  reason: RevocationReason;
  revokedAt: Date;
  atCa: AtCa;
}

export const REVOCATION = defineTable<RevocationWrite>(
  'revocation',
  {
    issuer: { name: 'issuer', type: 'text' },
    serial: { name: 'serial', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    requestId: { name: 'request_id', type: 'text' },
    reason: { name: 'reason', type: 'text' },
    revokedAt: { name: 'revoked_at', type: 'timestamptz' },
    atCa: { name: 'at_ca', type: 'text' },
  },
  ['issuer', 'serial'],
);

/**
 * An internal issuer's current CRL. `der` is base64 (the write plan knows no bytea); `crlNumber` a
 * decimal string (bigint).
 */
export interface CrlWrite {
  issuer: string;
  crlNumber: string;
  thisUpdate: Date;
  nextUpdate: Date;
  der: string;
}

export const CRL = defineTable<CrlWrite>(
  'crl',
  {
    issuer: { name: 'issuer', type: 'text' },
    crlNumber: { name: 'crl_number', type: 'bigint' },
    thisUpdate: { name: 'this_update', type: 'timestamptz' },
    nextUpdate: { name: 'next_update', type: 'timestamptz' },
    der: { name: 'der', type: 'text' },
  },
  ['issuer'],
);
