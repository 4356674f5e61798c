import { EventPattern } from '@nestjs/microservices';
import type { EventDefinition } from '@certflow/contracts';

/** Marks a handler's extras so `JetStreamServer` hands it batches (`FactBatch`) instead of single messages. */
export const FACT_BATCH = 'certflow.facts';

/**
 * Binds a method to the event's durable consumer as a fact handler: it receives a `FactBatch` and
 * returns `FactProcessor.process(batch, handler)`'s outcomes, e.g.
 * `@FactPattern(ChainCompleteV1) onFacts(@Payload() b: FactBatch) { return this.facts.process(b, this); }`.
 */
export function FactPattern(definition: EventDefinition<string, unknown>): MethodDecorator {
  return EventPattern<string>(definition.subject, { [FACT_BATCH]: true });
}
