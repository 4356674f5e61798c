import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DeadLetterV1, type EventData } from '@certflow/contracts';
import { FactPattern, FactProcessor, insertRow, type Fact, type FactBatch, type FactHandler, type Verdict } from '@certflow/messaging';
import { DEAD_LETTERS } from './dead-letters.tables';
import { requestIdOf } from './dead-letter.view';

type DeadLetter = EventData<typeof DeadLetterV1>;

/**
 * Keeps every `certflow.deadletter.v1` (from any service) so operators can read them through the
 * API. The dead letter's id is stable per original message, so a republished one is one row.
 */
@Controller()
export class DeadLettersConsumer implements FactHandler<DeadLetter> {
  readonly consumer = `request.dead-letters.${DeadLetterV1.subject}`;
  readonly event = DeadLetterV1;

  constructor(private readonly facts: FactProcessor) {}

  @FactPattern(DeadLetterV1)
  onFacts(@Payload() batch: FactBatch) {
    return this.facts.process(batch, this);
  }

  async decide(facts: readonly Fact<DeadLetter>[]): Promise<Verdict[]> {
    return facts.map(({ event: e }): Verdict => {
      const row = {
        id: e.id,
        consumer: e.data.consumer,
        originalSubject: e.data.originalSubject,
        originalId: e.data.originalId ?? null,
        deliveries: e.data.deliveries,
        error: e.data.error,
        requestId: requestIdOf(e.data.payload) ?? null,
        at: new Date(e.time),
        payload: e.data.payload,
      };
      return { kind: 'apply', writes: [insertRow(DEAD_LETTERS, row, { ifExists: 'skip' })] };
    });
  }
}
