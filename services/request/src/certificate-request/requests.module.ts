import { Module } from '@nestjs/common';
import { REQUEST_CONFIG, type RequestConfig } from '../config';
import { EdgeModule } from '../edge/edge.module';
import { RequestCommandService } from './commands/request-command.service';
import { ISSUERS, SubmitRequestHandler } from './commands/submit-request/submit-request.handler';
import { SubmitBatchHandler } from './commands/submit-batch/submit-batch.handler';
import { AssignRequestHandler } from './commands/assign-request/assign-request.handler';
import { OFFLINE_ISSUERS, UploadCertificateHandler } from './commands/upload-certificate/upload-certificate.handler';
import { RequestQueryService } from './http/request-query.service';
import { RequestsController } from './http/requests.controller';
import { REQUEST_FACT_HANDLERS } from './consumers/request-facts.consumer';
import { RequestFactDecider } from './consumers/request-fact.decider';
import { RequestMetricsBinder } from './request-metrics.binder';
import { RequestStateReader } from './request-state.reader';
import { OnRenewalDue } from './renewal/on-renewal-due.consumer';
import { RenewRequestHandler } from './renewal/renew-request.handler';
import { InventoryController } from './inventory/inventory.controller';
import { RenewalRetryScheduler } from './renewal/renewal-retry.scheduler';
import { RenewalMetricsBinder } from './renewal/renewal-metrics.binder';
import { RevokeController } from './revocation/revoke.controller';
import { REVOCATION_TARGETS, RevokeCertificateHandler, revocationTargetOf } from './revocation/revoke-certificate.handler';

/**
 * Certificate requests: the state machine (domain/), its use cases (commands/), the facts of the
 * other services mapped to commands (consumers/), its table (persistence/) and its routes (http/).
 * Exports the command service (the way into the state machine: renewal and revocation go through
 * it) and the reads of requests (the query service; the state reader the console's stream uses).
 */
@Module({
  imports: [EdgeModule],
  controllers: [RequestsController, InventoryController, RevokeController, ...REQUEST_FACT_HANDLERS, OnRenewalDue],
  providers: [
    { provide: ISSUERS, inject: [REQUEST_CONFIG], useFactory: (config: RequestConfig) => config.issuers.map((i) => i.name) },
    { provide: OFFLINE_ISSUERS, inject: [REQUEST_CONFIG], useFactory: (config: RequestConfig) => config.issuers.filter((i) => i.type === 'offline').map((i) => i.name) },
    { provide: REVOCATION_TARGETS, inject: [REQUEST_CONFIG], useFactory: (config: RequestConfig) => new Map(config.issuers.map((i) => [i.name, revocationTargetOf(i.type)])) },
    RevokeCertificateHandler,
    RequestFactDecider,
    RequestCommandService,
    SubmitRequestHandler,
    SubmitBatchHandler,
    AssignRequestHandler,
    UploadCertificateHandler,
    RenewRequestHandler,
    RenewalRetryScheduler,
    RenewalMetricsBinder,
    RequestQueryService,
    RequestMetricsBinder,
    RequestStateReader,
  ],
  exports: [RequestCommandService, RequestQueryService, RequestStateReader],
})
export class RequestsModule {}
