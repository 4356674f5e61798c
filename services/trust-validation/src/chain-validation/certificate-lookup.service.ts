import { Inject, Injectable } from '@nestjs/common';
import type { CertificateDetails } from '@certflow/contracts';
import { RpcError } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { certificateDetails, normalizeThumbprint, parseCertificate } from '@certflow/pki';
import type { DataSource } from 'typeorm';

/** "View Certificate Details" for any certificate this service knows: trusted, or met in a validation. */
@Injectable()
export class CertificateLookupService {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async lookup(thumbprintText: string): Promise<CertificateDetails> {
    const thumbprint = normalizeThumbprint(thumbprintText);
    if (!thumbprint) {
      throw new RpcError('INVALID_THUMBPRINT', 'A thumbprint is 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.', 400);
    }
    const column = thumbprint.kind === 'sha1' ? 'thumbprint' : 'thumbprint_sha256';
    const rows: { pem: string }[] = await this.ds.query(
      `SELECT pem FROM trusted_certificate WHERE ${column} = $1
       UNION ALL SELECT pem FROM seen_certificate WHERE ${column} = $1 LIMIT 1`,
      [thumbprint.value],
    );
    if (rows.length === 0) throw new RpcError('NOT_FOUND', `No certificate with thumbprint ${thumbprint.value} is known.`, 404);
    return certificateDetails(parseCertificate(rows[0].pem));
  }
}
