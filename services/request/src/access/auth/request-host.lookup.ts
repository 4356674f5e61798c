import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { checkCsr } from '@certflow/pki';
import { isUuid } from '@certflow/contracts';


/** What the guard needs to know about a request to judge a host-scoped caller. */
export interface RequestHostLookup {
  /** The stored request's host, or null when there is no such request (the route then answers 404). */
  hostOf(requestId: string): Promise<string | null>;
  /** Every name a CSR asks for (CN, DNS, IP), or null when it is not a valid CSR for `host` (the route then answers 400). */
  csrNames(csr: string, host: string): Promise<string[] | null>;
}
export const REQUEST_HOST_LOOKUP = 'REQUEST_HOST_LOOKUP';

@Injectable()
export class PgRequestHostLookup implements RequestHostLookup {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async hostOf(requestId: string): Promise<string | null> {
    if (!isUuid(requestId)) return null;
    const rows: { host: string }[] = await this.ds.query('SELECT host FROM certificate_request WHERE id = $1', [requestId]);
    return rows[0]?.host ?? null;
  }

  async csrNames(csr: string, host: string): Promise<string[] | null> {
    return checkCsr(csr, host).then(
      (c) => c.names,
      () => null,
    );
  }
}
