import type { CaAdapter, IssueOutcome, IssueRequest } from '../../ca-adapter.port';

/**
 * A CA the gateway cannot reach (an air-gapped enterprise CA): the operator takes the CSR to it and
 * uploads the certificate it returns. Until then the request is pending. (The upload arrives with
 * issue #3.)
 */
export class OfflineAdapter implements CaAdapter {
  readonly type = 'offline';

  async issue(_req: IssueRequest): Promise<IssueOutcome> {
    return { kind: 'pending', detail: 'waiting for the certificate to be uploaded' };
  }
}
