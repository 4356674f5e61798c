import { Injectable, type OnModuleInit } from '@nestjs/common';
import { countRequestsWith } from '../operations/metrics/request.metrics';
import { RequestQueryService } from './http/request-query.service';

/**
 * Lets `certflow_requests{state}` count with the same query as GET /api/v1/requests/counts. Here,
 * in the requests module, so that operations/metrics (which only renders the registry) does not
 * import the requests it counts.
 */
@Injectable()
export class RequestMetricsBinder implements OnModuleInit {
  constructor(private readonly queries: RequestQueryService) {}
  onModuleInit(): void {
    countRequestsWith(async () => (await this.queries.counts({})).counts);
  }
}
