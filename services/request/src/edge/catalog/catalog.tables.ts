// The catalog's table as it writes it (see @certflow/messaging's defineTable).
import { defineTable } from '@certflow/messaging';

/** A certificate a CA returned (leaf or chain), named by both thumbprints; `firstSeen` is never read back. */
export interface SeenCertificateColumns {
  thumbprint: string;
  thumbprintSha256: string;
  pem: string;
  firstSeen: Date;
}

export const SEEN_CERTIFICATE = defineTable<SeenCertificateColumns>(
  'seen_certificate',
  {
    thumbprint: { name: 'thumbprint', type: 'text' },
    thumbprintSha256: { name: 'thumbprint_sha256', type: 'text' },
    pem: { name: 'pem', type: 'text' },
    firstSeen: { name: 'first_seen', type: 'timestamptz' },
  },
  ['thumbprint'],
);
