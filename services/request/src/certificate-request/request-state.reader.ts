import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { CertificateRequestRow } from './persistence/certificate-request.orm-entity';

/** A request's committed state without its CSR or certificate: what the console's live stream shows. */
export type RequestStateSummary = Pick<CertificateRequestRow, 'id' | 'host' | 'issuer' | 'state' | 'updatedAt'>;

/**
 * Reads one request's state for other modules (the console), so that they do not reach into this
 * module's table and ORM entity.
 */
@Injectable()
export class RequestStateReader {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  /** The request's state, or null when there is no such request or the database is not (or no longer) open. */
  async read(id: string): Promise<RequestStateSummary | null> {
    if (!this.ds.isInitialized) return null;
    return this.ds.getRepository(CertificateRequestRow).findOne({ where: { id }, select: { id: true, host: true, issuer: true, state: true, updatedAt: true } });
  }
}
