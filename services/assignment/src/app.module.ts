import { Module, type DynamicModule } from '@nestjs/common';
import { ServicePlatformModule } from '@certflow/runtime';
import { AssignCertificateService } from './assignment/assign-certificate.service';
import { OnAssignmentRequestedConsumer } from './assignment/consumers/on-assignment-requested.consumer';
import { OnChainCompleteConsumer } from './assignment/consumers/on-chain-complete.consumer';
import { OnCertificateRevokedConsumer } from './assignment/consumers/on-certificate-revoked.consumer';
import { HostAssignmentsService } from './assignment/host-assignments.service';
import { BindingHistoryRow } from './assignment/persistence/binding-history.orm-entity';
import { BindingRow } from './assignment/persistence/binding.orm-entity';
import { HostAssignmentsRpcResponder } from './assignment/rpc/host-assignments.rpc-responder';
import { WaitingAssignmentsMetrics } from './assignment/metrics/waiting-assignments.metrics';
import { ExpiringCertificatesMetrics } from './assignment/metrics/expiring-certificates.metrics';
import { ExpiryWatchRunner } from './assignment/watch/expiry-watch.runner';
import { ASSIGNMENT_CONFIG, SCHEMA, SERVICE, type AssignmentConfig } from './config';
import { AssignmentTables1700000003000 } from './migrations/1700000003000-assignment-tables';
import { AssignmentWanted1700000003100 } from './migrations/1700000003100-assignment-wanted';
import { CertificateWatch1700000003200 } from './migrations/1700000003200-certificate-watch';

export const ASSIGNMENT_ENTITIES = [BindingRow, BindingHistoryRow];
export const ASSIGNMENT_MIGRATIONS = [AssignmentTables1700000003000, AssignmentWanted1700000003100, CertificateWatch1700000003200];

/** assignment: binds chain-complete certificates to the host usages they fit, and watches them expire. */
@Module({})
export class AppModule {
  /** `service` names the durable consumers and outbox; tests pass a unique one. */
  static forRoot(config: AssignmentConfig, service: string = SERVICE): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServicePlatformModule.forService({
          name: SERVICE,
          consumerPrefix: service,
          schema: SCHEMA,
          config,
          entities: ASSIGNMENT_ENTITIES,
          migrations: ASSIGNMENT_MIGRATIONS,
        }),
      ],
      controllers: [OnChainCompleteConsumer, OnAssignmentRequestedConsumer, OnCertificateRevokedConsumer],
      providers: [
        { provide: ASSIGNMENT_CONFIG, useValue: config },
        AssignCertificateService,
        HostAssignmentsService,
        HostAssignmentsRpcResponder,
        WaitingAssignmentsMetrics,
        ExpiringCertificatesMetrics,
        ExpiryWatchRunner,
      ],
    };
  }
}
