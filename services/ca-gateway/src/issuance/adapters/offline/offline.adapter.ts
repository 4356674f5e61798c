import type { CaAdapter, IssueOutcome, IssueRequest } from '../../ca-adapter.port';

/**
 * A CA the gateway cannot reach (an air-gapped enterprise CA): the operator takes the CSR to it and
 * uploads the certificate it returns (POST /api/v1/requests/{id}/certificate, which the gateway's
 * on-certificate-uploaded consumer takes on). Until then the request is pending.
 */
export class OfflineAdapter implements CaAdapter {
  readonly type = 'offline';

  async issue(_req: IssueRequest): Promise<IssueOutcome> {
    return { kind: 'pending', detail: 'waiting for the certificate to be uploaded' };
  }
}
