import { Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersConsumer } from './dead-letters/dead-letters.consumer';
import { DeadLettersQuery } from './dead-letters/dead-letters.query';

/**
 * Running the service: liveness and readiness (health/), the Prometheus exposition (metrics/; the
 * feature modules record into its metric families, it imports none of them) and the dead letters
 * of every service (dead-letters/). Exports nothing: other modules do not inject operations.
 */
@Module({
  controllers: [HealthController, MetricsController, DeadLettersController, DeadLettersConsumer],
  providers: [DeadLettersQuery],
})
export class OperationsModule {}
