import { Module, type DynamicModule } from '@nestjs/common';
import { CreateMessagingTables1700000000000, MESSAGING_ENTITIES, MessagingModule } from '@certflow/messaging';
import { PersistenceModule } from '@certflow/persistence';
import { HealthResponder, SERVICE_NAME } from '@certflow/runtime';
import { AssignCertificateService } from './assignment/assign-certificate.service';
import { OnAssignmentRequestedConsumer } from './assignment/consumers/on-assignment-requested.consumer';
import { OnChainCompleteConsumer } from './assignment/consumers/on-chain-complete.consumer';
import { HostAssignmentsService } from './assignment/host-assignments.service';
import { AssignmentRow } from './assignment/persistence/assignment.orm-entity';
import { BindingHistoryRow } from './assignment/persistence/binding-history.orm-entity';
import { BindingRow } from './assignment/persistence/binding.orm-entity';
import { ChainCompleteRow } from './assignment/persistence/chain-complete.orm-entity';
import { HostAssignmentsRpcResponder } from './assignment/rpc/host-assignments.rpc-responder';
import { clockProvider } from './clock.provider';
import { ASSIGNMENT_CONFIG, SCHEMA, SERVICE, type AssignmentConfig } from './config';
import { AssignmentTables1700000003000 } from './migrations/1700000003000-assignment-tables';

export const ASSIGNMENT_ENTITIES = [ChainCompleteRow, BindingRow, BindingHistoryRow, AssignmentRow];
export const ASSIGNMENT_MIGRATIONS = [AssignmentTables1700000003000];

/** assignment: binds chain-complete certificates to the host usages they fit. */
@Module({})
export class AppModule {
  /** `service` names the durable consumers and outbox; tests pass a unique one. */
  static forRoot(config: AssignmentConfig, service: string = SERVICE): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forService({
          url: config.DATABASE_URL,
          schema: SCHEMA,
          entities: [...MESSAGING_ENTITIES, ...ASSIGNMENT_ENTITIES],
          migrations: [CreateMessagingTables1700000000000, ...ASSIGNMENT_MIGRATIONS],
          poolSize: config.CERTFLOW_DB_POOL,
        }),
        MessagingModule.forService({ service, natsUrl: config.NATS_URL }),
      ],
      controllers: [OnChainCompleteConsumer, OnAssignmentRequestedConsumer],
      providers: [
        HealthResponder,
        { provide: SERVICE_NAME, useValue: SERVICE },
        { provide: ASSIGNMENT_CONFIG, useValue: config },
        clockProvider,
        AssignCertificateService,
        HostAssignmentsService,
        HostAssignmentsRpcResponder,
      ],
    };
  }
}
