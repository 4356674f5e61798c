// reflect-metadata must load before @peculiar/x509 (see ../../shared/STACK.md).
import 'reflect-metadata';

export { TestPki, type TestCa, type IssuedLeaf, type TestPkiOptions, type LeafParams } from './test-pki.factory';
export { testCsr, garbageCsr, csrWithBadSignature, weakRsaCsr, type TestCsr, type TestCsrParams } from './csr.fixtures';
export { fixedClock, type FixedClock } from './fixed.clock';
export { intermediateCaWith, notDerExtension, duplicateSkiExtension, unknownCriticalExtension, weakRsaKeys } from './damaged-ca.fixtures';
export { type Clock, systemClock } from '@certflow/pki';
export { startCertflow, waitForRequest, opensslCsr, freePort, SERVICES, type Certflow, type CertflowOptions, type ServiceName } from './certflow.harness';
export { NatsProcess, type NatsConnectionStats } from './nats.process';
export { TcpProxy } from './tcp.proxy';
export { PrivatePostgres } from './private-postgres';
export { ServiceProcesses } from './service.processes';
export {
  TEST_NATS_URL,
  runId,
  testDatabaseUrl,
  dropDatabase,
  precreateConsumers,
  deleteConsumers,
  EventLog,
  startTestService,
  publishAgain,
  waitUntilConsumed,
  sleep,
  type RunningService,
} from './service-integration.harness';
